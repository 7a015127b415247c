package org.tlbjava.train;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.tlbjava.data.ImageSet;
import org.tlbjava.data.Splits;

/**
 * Where a run's data came from, kept in {@code data.json} so {@code --resume} trains on the same
 * data: the path given, the source found there, and a fingerprint cheap enough to take on every
 * start (split sizes, class names, every label, and the pixels of the first and last images).
 *
 * @param path the data directory or archive, absolute
 * @param source what was found there ({@link Splits#source()})
 * @param fingerprint SHA-256 of the splits' shape, labels and edge images; null for runs that predate it
 */
public record DataRecord(String path, String source, String fingerprint) {
    /** Images at each end of a split whose pixels enter the fingerprint. */
    private static final int EDGE_IMAGES = 64;

    public static DataRecord of(String path, Splits splits) {
        return new DataRecord(path, splits.source(), fingerprint(splits));
    }

    static String fingerprint(Splits splits) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(String.join("\n", splits.classes()).getBytes(StandardCharsets.UTF_8));
            add(digest, splits.train());
            add(digest, splits.val());
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void add(MessageDigest digest, ImageSet set) {
        ByteBuffer header = ByteBuffer.allocate(4 * Integer.BYTES + set.size() * Integer.BYTES);
        header.putInt(set.size()).putInt(set.height()).putInt(set.width()).putInt(set.classes().size());
        for (int i = 0; i < set.size(); i++) {
            header.putInt(set.label(i));
        }
        digest.update(header.array());
        int edge = Math.min(EDGE_IMAGES, set.size());
        digest.update(set.pixels(), 0, edge * set.imageBytes());
        digest.update(set.pixels(), set.offset(set.size() - edge), edge * set.imageBytes());
    }
}
