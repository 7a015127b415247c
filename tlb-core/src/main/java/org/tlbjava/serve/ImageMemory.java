package org.tlbjava.serve;

/**
 * The memory the decoded images of all requests in progress may take together
 * ({@code --image-memory-mb}). A request reserves its image's decoded size, known from the header,
 * before decoding and gives it back once answered; over the budget it gets 503 at once, as a full
 * queue does, rather than an OutOfMemoryError somewhere in the server.
 */
final class ImageMemory {
    private static final long MB = 1 << 20;

    private final long budget;
    private long reserved;

    ImageMemory(long budget) {
        this.budget = budget;
    }

    /** Holds {@code bytes} of the budget until closed. 413 when more than the whole budget, 503 when over what is left. */
    synchronized Reservation reserve(long bytes) {
        if (bytes > budget) {
            throw ApiError.tooLarge("the image takes " + megabytes(bytes) + " MB decoded, more than the server's"
                    + " --image-memory-mb of " + megabytes(budget));
        }
        if (reserved + bytes > budget) {
            throw ApiError.busy("the image takes " + megabytes(bytes) + " MB decoded and other requests' images hold "
                    + megabytes(reserved) + " of the " + megabytes(budget) + " MB of --image-memory-mb; retry later");
        }
        reserved += bytes;
        return new Reservation(bytes);
    }

    synchronized long reserved() {
        return reserved;
    }

    private synchronized void release(long bytes) {
        reserved -= bytes;
    }

    private static long megabytes(long bytes) {
        return (bytes + MB - 1) / MB;
    }

    /** One request's share of the budget; closing it (once or more) gives it back. */
    final class Reservation implements AutoCloseable {
        private long bytes;

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        @Override
        public void close() {
            synchronized (ImageMemory.this) {
                release(bytes);
                bytes = 0;
            }
        }
    }
}
