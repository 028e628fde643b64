/**
 * Every exercise, in order: the one list the commands (make exercise, check, hint, solve, reset,
 * progress) and the tests go through. A new exercise is a folder with its exercise.ts, and one
 * more line here.
 */
import type { Exercise } from '../src/exercises/model.ts';
import { exercise as yourOwnClient } from './01-your-own-client/exercise.ts';
import { exercise as fixTheLayout } from './02-fix-the-layout/exercise.ts';
import { exercise as makeTheLock } from './03-make-the-lock/exercise.ts';
import { exercise as cleanUp } from './04-clean-up/exercise.ts';
import { exercise as finishTheRing } from './05-finish-the-ring/exercise.ts';
import { exercise as permissions } from './06-permissions/exercise.ts';

export const EXERCISES: readonly Exercise[] = [yourOwnClient, fixTheLayout, makeTheLock, cleanUp, finishTheRing, permissions];
