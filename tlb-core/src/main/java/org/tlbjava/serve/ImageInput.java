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
import org.tlbjava.TlbException;
import org.tlbjava.data.ImageFiles;

/**
 * The image of a prediction request, raw body or multipart upload, read within the limits: the
 * body's size is checked before and while it is read, and the image's pixel count from its header
 * before any pixel is decoded, so neither a huge upload nor a decompression bomb costs memory.
 */
final class ImageInput {
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
            throw ApiError.badRequest("the request body could not be read: " + e.getMessage());
        }
    }

    private static byte[] upload(Context ctx, long maxBytes) {
        List<UploadedFile> files;
        try {
            files = ctx.uploadedFiles();
        } catch (RuntimeException e) {
            throw ApiError.badRequest("the multipart body could not be read: " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw ApiError.badRequest("the multipart body has no file part; send the image as a file field");
        }
        UploadedFile file = files.get(0);
        checkRawType(mediaType(file.contentType()));
        try (InputStream in = file.content()) {
            return readAtMost(in, maxBytes);
        } catch (IOException e) {
            throw ApiError.badRequest("the uploaded file could not be read: " + e.getMessage());
        }
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

    /** Decodes an image after checking its size from the header (data.ImageFiles): 413 when too big, else 400. */
    static BufferedImage decode(byte[] bytes, long maxPixels) {
        try {
            return ImageFiles.read(new ByteArrayInputStream(bytes), "the image", maxPixels);
        } catch (ImageFiles.TooLarge e) {
            throw ApiError.tooLarge(e.getMessage());
        } catch (TlbException e) {
            throw ApiError.badRequest(e.getMessage());
        }
    }
}
