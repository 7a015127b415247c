package org.tlbjava.serve;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tlbjava.TlbException;
import org.tlbjava.data.ImageFiles;

/**
 * The image of a prediction request, raw body or multipart upload, read within the limits: the
 * body's size is checked before and while it is read, and the image's pixel count from its header
 * before any pixel is decoded, so neither a huge upload nor a decompression bomb costs memory.
 */
final class ImageInput {
    private static final Logger LOG = LoggerFactory.getLogger(ImageInput.class);
    private static final Set<String> RAW_TYPES =
            Set.of("image/png", "image/jpeg", "image/bmp", "image/gif", "application/octet-stream");

    private ImageInput() {}

    /** The request's image bytes: 413 over the size limit, 415 for a content type that is not an image. */
    static byte[] body(Context ctx, long maxBytes) {
        if (ctx.req().getContentLengthLong() > maxBytes) {
            throw tooLarge(ctx.req().getContentLengthLong(), maxBytes);
        }
        String type = mediaType(ctx.contentType());
        if (type.equals("multipart/form-data")) {
            return upload(ctx, maxBytes);
        }
        checkRawType(type);
        try (InputStream in = ctx.bodyInputStream()) {
            return readAtMost(in, maxBytes);
        } catch (IOException e) {
            throw unreadable("the request body", e);
        }
    }

    private static byte[] upload(Context ctx, long maxBytes) {
        List<UploadedFile> files;
        try {
            files = ctx.uploadedFiles();
        } catch (Exception e) { // the servlet API's IOException and ServletException too, undeclared in Kotlin
            ApiError error = unreadable("the multipart body", e);
            LOG.warn("{} {}: {} {}", ctx.method(), ctx.path(), error.code(), error.getMessage());
            ctx.header("Connection", "close"); // Jetty closes it, the body being unread; clients must not reuse it
            throw error;
        }
        if (files.isEmpty()) {
            throw ApiError.badRequest("the multipart body has no file part; send the image as a file field");
        }
        UploadedFile file = files.get(0);
        checkRawType(mediaType(file.contentType()));
        try (InputStream in = file.content()) {
            return readAtMost(in, maxBytes);
        } catch (IOException e) {
            throw unreadable("the uploaded file", e);
        }
    }

    /**
     * The answer to a body that could not be read, with the innermost reason: 408 when it came
     * too slowly (UploadDeadline), 413 for too many parts, else 400; never the exception's trace.
     */
    private static ApiError unreadable(String what, Exception e) {
        Throwable root = e;
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof UploadDeadline.UploadTooSlow slow) {
                return ApiError.timeout(slow.getMessage());
            }
            root = cause;
        }
        // Jetty's words for a form over its 1000 parts: "Form with too many keys [1001 > 1000]"
        if (String.valueOf(root.getMessage()).contains("too many")) {
            return ApiError.tooLarge(what + " has too many parts (" + root.getMessage() + "); send the image as one file");
        }
        return ApiError.badRequest(what + " could not be read: " + root.getMessage());
    }

    private static byte[] readAtMost(InputStream in, long maxBytes) throws IOException {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        if (bytes.length > maxBytes) {
            throw tooLarge(bytes.length, maxBytes);
        }
        if (bytes.length == 0) {
            throw ApiError.badRequest("the request has no image: the body is empty");
        }
        return bytes;
    }

    private static ApiError tooLarge(long size, long maxBytes) {
        return ApiError.tooLarge("the body is larger than the limit of " + maxBytes + " bytes"
                + (size > maxBytes + 1 ? " (" + size + " bytes)" : ""));
    }

    /** A missing content type is taken as raw bytes, as curl --data-binary without -H sends them. */
    private static String mediaType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return "application/octet-stream";
        }
        return contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    }

    private static void checkRawType(String type) {
        if (!RAW_TYPES.contains(type)) {
            throw ApiError.unsupportedType("Content-Type " + type + " is not supported: send an image as image/png,"
                    + " image/jpeg, image/bmp, image/gif, application/octet-stream, or a multipart/form-data upload");
        }
    }

    /** A decoded image and the share of the image memory it holds until closed. */
    record Decoded(BufferedImage image, ImageMemory.Reservation memory) implements AutoCloseable {
        @Override
        public void close() {
            memory.close();
        }
    }

    /**
     * Decodes an image within the limits, each checked as early as it can be: the pixel count
     * and the decoded size from the header (413 over {@code --max-pixels}, 503 when the other
     * requests' images leave too little of {@code --image-memory-mb}), the time while decoding
     * (503 after {@code --decode-timeout}); 400 for anything unreadable.
     */
    static Decoded decode(byte[] bytes, ServeLimits limits, ImageMemory memory) {
        DeadlineStream in = new DeadlineStream(bytes, limits.decodeTimeoutMs());
        ImageMemory.Reservation reservation = null;
        try (ImageFiles.Decoder decoder = ImageFiles.open(in, "the image")) {
            ImageFiles.Header header = decoder.header();
            if (header.pixels() > limits.maxPixels()) {
                throw ApiError.tooLarge(String.format(Locale.ROOT,
                        "the image is %d x %d (%,d pixels), over the server's --max-pixels of %,d; not decoded",
                        header.width(), header.height(), header.pixels(), limits.maxPixels()));
            }
            reservation = memory.reserve(header.pixels() * decoder.bytesPerPixel());
            BufferedImage image = decoder.read();
            if (in.expired) { // some decoders take the cut-off input as a truncated image
                throw decodeTimeout(limits);
            }
            return new Decoded(image, reservation);
        } catch (TlbException | OutOfMemoryError e) {
            if (reservation != null) {
                reservation.close();
            }
            if (in.expired) {
                throw decodeTimeout(limits);
            }
            if (e instanceof OutOfMemoryError || e.getCause() instanceof OutOfMemoryError) {
                throw ApiError.busy("not enough memory to decode the image now; retry later");
            }
            throw ApiError.badRequest(e.getMessage());
        } catch (RuntimeException e) {
            if (reservation != null) {
                reservation.close();
            }
            throw e;
        }
    }

    private static ApiError decodeTimeout(ServeLimits limits) {
        return ApiError.busy("the image took longer than the server's --decode-timeout of " + limits.decodeTimeoutMs()
                + " ms to decode");
    }

    /**
     * The body as the decoder reads it, failing once the decode time is up: decoders read their
     * input as they go (a PNG decoder a few KB at a time), so a slow decode is stopped within a
     * few rows without a second thread.
     */
    private static final class DeadlineStream extends ByteArrayInputStream {
        private final long deadline;
        private volatile boolean expired;

        DeadlineStream(byte[] bytes, long timeoutMs) {
            super(bytes);
            this.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        }

        @Override
        public synchronized int read() {
            return checked() ? super.read() : -1;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            return checked() ? super.read(b, off, len) : -1;
        }

        private boolean checked() {
            if (System.nanoTime() - deadline > 0) {
                expired = true;
            }
            return !expired;
        }
    }
}
