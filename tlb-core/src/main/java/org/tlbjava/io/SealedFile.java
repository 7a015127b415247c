package org.tlbjava.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.tlbjava.TlbException;

/**
 * A binary file that can tell when it has been cut short or changed: a magic string naming the
 * format, the payload's length, the payload, and the payload's SHA-256. Written atomically.
 * Files written before sealing existed (the format's legacy magic, no length or digest) are still
 * read, unverified.
 */
public final class SealedFile {
    private static final int DIGEST_BYTES = 32;

    /** A payload read back; {@code verified} is false only for a legacy, unsealed file. */
    public record Contents(byte[] payload, boolean verified) {
        public DataInputStream stream() {
            return new DataInputStream(new ByteArrayInputStream(payload));
        }
    }

    private SealedFile() {}

    public static void write(Path target, String magic, AtomicFiles.Writer writer) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        writer.write(buffer);
        byte[] payload = buffer.toByteArray();
        AtomicFiles.write(target, stream -> {
            DataOutputStream out = new DataOutputStream(stream);
            out.writeUTF(magic);
            out.writeLong(payload.length);
            out.write(payload);
            out.write(sha256(payload));
            out.flush();
        });
    }

    /**
     * Reads and verifies {@code file}: {@code magic} is the sealed format, {@code legacyMagic}
     * (or null) the unsealed one it replaced. Every way the file can be wrong is one
     * {@link TlbException} naming it: missing, not this format, truncated, or changed.
     */
    public static Contents read(Path file, String magic, String legacyMagic, String what) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TlbException(file + " does not exist");
        } catch (IOException e) {
            throw new TlbException("cannot read " + file + ": " + e.getMessage());
        }
        int headerEnd = magicEnd(bytes);
        String found = headerEnd < 0 ? null
                : new String(bytes, 2, headerEnd - 2, StandardCharsets.UTF_8);
        if (legacyMagic != null && legacyMagic.equals(found)) {
            return new Contents(Arrays.copyOfRange(bytes, headerEnd, bytes.length), false);
        }
        if (!magic.equals(found)) {
            if (bytes.length < 2 + magic.length()) {
                throw new TlbException(file + " is truncated: " + bytes.length + " bytes, too short to be a "
                        + what);
            }
            throw new TlbException(file + " is not a " + what + " (corrupt, or written by another tool)");
        }
        if (bytes.length < headerEnd + Long.BYTES) {
            throw new TlbException(file + " is truncated: it ends inside its header (" + bytes.length + " bytes)");
        }
        long length = ByteBuffer.wrap(bytes, headerEnd, Long.BYTES).getLong();
        long expected = headerEnd + Long.BYTES + length + DIGEST_BYTES;
        if (length < 0 || length > Integer.MAX_VALUE) {
            throw new TlbException(file + " is corrupt: its header announces " + length + " payload bytes");
        }
        if (bytes.length < expected) {
            throw new TlbException(file + " is truncated: it has " + bytes.length + " of the " + expected
                    + " bytes its header announces");
        }
        if (bytes.length > expected) {
            throw new TlbException(file + " is corrupt: " + (bytes.length - expected)
                    + " bytes follow its end (" + expected + " expected)");
        }
        int start = headerEnd + Long.BYTES;
        byte[] payload = Arrays.copyOfRange(bytes, start, start + (int) length);
        byte[] stored = Arrays.copyOfRange(bytes, start + (int) length, bytes.length);
        if (!MessageDigest.isEqual(stored, sha256(payload))) {
            throw new TlbException(file + " is corrupt: its SHA-256 does not match its content (it was"
                    + " changed after it was written)");
        }
        return new Contents(payload, true);
    }

    /** The offset after a {@code writeUTF} magic at the start of {@code bytes}, or -1 when there is none. */
    private static int magicEnd(byte[] bytes) {
        if (bytes.length < 2) {
            return -1;
        }
        int length = ((bytes[0] & 0xff) << 8) | (bytes[1] & 0xff);
        return length > 64 || bytes.length < 2 + length ? -1 : 2 + length;
    }

    static byte[] sha256(byte[] payload) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(payload);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
