/*
 * ipc-lab.h: the lab's contract as C, for the exercises' C track and for gdb (make gdb loads
 * this header's types, so `p *(struct pi_message *) ADDR` prints every field by name).
 *
 * The TypeScript side declares the same structs in src/labs/<lab>/contract.ts; a test
 * (test/exercises/header.test.ts) compiles this header with gcc for x86_64 and for aarch64
 * and checks every offset and size against those contracts, so the two can never drift.
 * Fixed-width types everywhere: an int is 4 bytes on both, but uint32_t says so.
 */
#ifndef IPC_LAB_H
#define IPC_LAB_H

#include <stdint.h>

/* ftok(3)'s file: compose puts it on a volume every container of the lab mounts. */
#define IPC_LAB_KEY_FILE "/var/lib/ipc-lab/ftok.key"

/* ---- the message lab (make up): src/labs/message/contract.ts ------------------------------ */
#define IPC_LAB_MESSAGE_PROJECT_ID 0x4c /* 'L' */
#define IPC_LAB_MESSAGE_MAGIC "IPCL"
#define IPC_LAB_MESSAGE_VERSION 1
enum lab_state { LAB_EMPTY = 0, LAB_WRITING = 1, LAB_READY = 2 };

struct lab_header {           /* at offset 0 of the segment */
    uint32_t magic;           /* the bytes "IPCL" */
    uint16_t version;         /* IPC_LAB_MESSAGE_VERSION */
    uint16_t header_size;     /* sizeof(struct lab_header) == 16 */
    uint32_t state;           /* enum lab_state: read it before trusting the payload */
    uint32_t payload_size;    /* sizeof(struct pi_message) == 64 */
};

/* A program with a pi_message of its own (exercise 2's, with another layout) defines
 * IPC_LAB_OWN_PI_MESSAGE before including this header, and gets the header struct only. */
#ifndef IPC_LAB_OWN_PI_MESSAGE
struct pi_message {           /* at offset 16, right after the header */
    char     intro[19];       /* "PI is defined as: " */
    int32_t  numerator;       /* 22, after 1 byte of padding */
    char     slash;           /* '/' */
    int32_t  denominator;     /* 7, after 3 bytes of padding */
    char     equals[3];       /* "==" */
    double   value;           /* 22.0 / 7, after 5 bytes of padding */
    char     outro[10];       /* "\n\ngoodbye", then 6 bytes of tail padding */
};

struct lab_segment {          /* the whole segment as the server writes it */
    struct lab_header header;
    struct pi_message message;
};
#endif

/* ---- the race lab (make race): src/labs/race/contract.ts ---------------------------------- */
#define IPC_LAB_RACE_PROJECT_ID 0x52 /* 'R' */
#define IPC_LAB_RACE_MAGIC "IPCR"
#define IPC_LAB_RACE_FIELDS 63
#define IPC_LAB_RACE_LOCK 0   /* the semaphore: 1 free, 0 taken */

struct race_record {          /* at offset 0: the writer rewrites it, one field at a time */
    char     magic[4];        /* "IPCR" */
    uint32_t seq[IPC_LAB_RACE_FIELDS]; /* the same number in every field, unless torn */
};

struct race_reader {          /* at offset 256: what the reader counted */
    uint32_t reads;
    uint32_t torn;
    uint32_t last_torn[IPC_LAB_RACE_FIELDS];
};

/* ---- the ring lab (make ring): src/labs/ring/contract.ts ---------------------------------- */
#define IPC_LAB_RING_PROJECT_ID 0x42 /* 'B' */
#define IPC_LAB_RING_MAGIC "IPCB"
#define IPC_LAB_RING_SLOTS_OFFSET 64 /* the header, padded to a cache line */
#define IPC_LAB_RING_SLOT_ALIGN 64   /* each slot starts on a cache line */
#define IPC_LAB_RING_EMPTY 0         /* semaphore 0 counts free slots */
#define IPC_LAB_RING_FULL 1          /* semaphore 1 counts filled slots */

struct ring_header {          /* at offset 0, 64 bytes with its padding */
    char     magic[4];        /* "IPCB", stored last: the header is complete */
    uint32_t slots;
    uint32_t slot_size;
    uint32_t ended;           /* 1 once the producer wrote its last slot */
    uint64_t total_bytes;     /* written with the end of stream */
    uint8_t  sha256[32];      /* of everything sent, written with the end of stream */
};

struct ring_slot {            /* slot i at IPC_LAB_RING_SLOTS_OFFSET + i * stride */
    uint32_t length;          /* data bytes in this slot; 0 marks the end of the stream */
    uint32_t sequence;        /* the message number */
    uint8_t  data[];          /* slot_size bytes */
};

/* The distance between two slots: the slot's header and data, rounded up to a cache line. */
static inline uint32_t ipc_lab_ring_stride(uint32_t slot_size) {
    uint32_t bytes = (uint32_t) sizeof(struct ring_slot) + slot_size;
    return (bytes + IPC_LAB_RING_SLOT_ALIGN - 1) / IPC_LAB_RING_SLOT_ALIGN * IPC_LAB_RING_SLOT_ALIGN;
}

/* glibc leaves union semun to the program (semctl(2)): every C track that calls semctl uses it. */
union semun {
    int              val;
    struct semid_ds *buf;
    unsigned short  *array;
};

#endif
