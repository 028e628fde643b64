/* The ring lab's layout as C sees it, written from the contract (src/labs/ring/contract.ts);
 * test/labs/ring/layout.test.ts holds every offset and constant here to the
 * TypeScript one, on x86_64 and aarch64. Both designs:
 * the textbook ring (two counting semaphores, each slot its header then its data) and the batched
 * one (head and tail in the segment, the slots' headers together, then their data together). */
#ifndef RING_LAYOUT_H
#define RING_LAYOUT_H
#include <stddef.h>
#include <stdint.h>

struct ring_header {          /* at offset 0 of the segment                                  */
    char     magic[4];        /* "IPCB" (textbook) or "IPCQ" (batched), stored last          */
    uint32_t slots;           /* N                                                           */
    uint32_t slot_size;       /* data bytes a slot holds                                     */
    uint32_t ended;           /* 1 once the producer wrote its last slot                     */
    uint64_t total_bytes;     /* bytes sent, written with the end of stream                  */
    uint8_t  sha256[32];      /* SHA-256 of everything sent, written with the end of stream  */
};
struct ring_producer {        /* batched: at offset 64, written by the producer only          */
    uint32_t head;            /* messages published                                          */
};
struct ring_consumer {        /* batched: at offset 128, written by the consumer only         */
    uint32_t tail;            /* messages taken                                              */
};
struct producer_sleeps {      /* batched: at offset 192, written by the producer only         */
    uint32_t sleeps;          /* odd while it sleeps, waiting for a free slot                */
};
struct consumer_sleeps {      /* batched: at offset 256, written by the consumer only         */
    uint32_t sleeps;          /* odd while it sleeps, waiting for a message                  */
};
struct batched_slot {         /* batched: N of them from offset 320, 8 bytes each: the headers */
    uint32_t length;          /* data bytes in this slot; 0 marks the end of the stream      */
    uint32_t sequence;        /* the message number                                          */
};
struct ring_slot {            /* textbook: N of them, each on a 64-byte boundary              */
    uint32_t length;          /* data bytes in this slot; 0 marks the end of the stream      */
    uint32_t sequence;        /* the message number                                          */
    uint8_t  data[];          /* slot_size bytes                                             */
};

#define RING_SLOTS_OFFSET      64    /* textbook: the header, padded to a cache line         */
#define BATCHED_SLOTS_OFFSET   320   /* batched: the header and a line for each of four words; the slots' headers */
#define RING_PRODUCER_OFFSET   64
#define RING_CONSUMER_OFFSET   128
#define PRODUCER_SLEEPS_OFFSET 192
#define CONSUMER_SLEEPS_OFFSET 256
#define RING_SLOT_ALIGN        64
#define RING_SEM_EMPTY 0             /* textbook: free slots, starts at N                    */
#define RING_SEM_FULL  1             /* textbook: filled slots, starts at 0                  */
#define BATCHED_SEM_DATA  0          /* batched: the consumer sleeps on it                   */
#define BATCHED_SEM_SPACE 1          /* batched: the producer sleeps on it                   */

/* a slot's stride: its header and data, rounded up to the cache line */
#define RING_SLOT_STRIDE(slot_size) \
    ((sizeof(struct ring_slot) + (slot_size) + RING_SLOT_ALIGN - 1) / RING_SLOT_ALIGN * RING_SLOT_ALIGN)

/* textbook: where slot i starts */
#define RING_SLOT_OFFSET(slot_size, i) (RING_SLOTS_OFFSET + (i) * RING_SLOT_STRIDE(slot_size))
/* batched: the slots' data, after their N headers, on a cache line; slot i's at + i * slot_size */
#define BATCHED_DATA_OFFSET(slots) \
    ((BATCHED_SLOTS_OFFSET + (slots) * sizeof(struct batched_slot) + RING_SLOT_ALIGN - 1) / RING_SLOT_ALIGN * RING_SLOT_ALIGN)
#define BATCHED_SEGMENT_SIZE(slots, slot_size) (BATCHED_DATA_OFFSET(slots) + (slots) * (slot_size))
#endif
