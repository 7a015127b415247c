package org.tlbjava.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tlbjava.UsageException;
import org.tlbjava.config.ConfigResolver;
import org.tlbjava.config.RunConfig;

/**
 * What resolution the network sees and how images are scaled to it: {@code --image-size N}
 * derives {@code input_shape} and {@code resize_margin} from N, and {@link #describe} says in
 * words what the config does to the images, with a note where it throws detail away.
 */
public final class Resolution {
    private Resolution() {}

    /**
     * The training resize's margin over the crop, as a share of the crop: the reference resizes to
     * 52 and crops 48, a margin of 1/12, so that training and evaluation see objects at nearly the
     * same scale.
     */
    private static final double CROP_MARGIN = 4 / 48.0;

    /**
     * Sets {@code image_size} to {@code side} with the stored size and training margin that go
     * with it. Image folders are stored at {@code side x side}, so evaluation uses them as they are;
     * CIFAR-10 stays stored at 32x32 and is enlarged. At side 48 on CIFAR-10 this is the
     * reference's pipeline (32, resized to 52, cropped to 48).
     */
    public static void setImageSize(ConfigResolver config, int side, boolean imageFolder) {
        if (side <= 0) {
            throw new UsageException("--image-size must be positive, got " + side);
        }
        int stored = imageFolder ? side : CifarBinary.SIDE;
        int margin = side + (int) Math.round(side * CROP_MARGIN) - stored;
        if (margin < 0) {
            throw new UsageException("--image-size " + side + " is below CIFAR-10's " + CifarBinary.SIDE + "x"
                    + CifarBinary.SIDE + " images: the network would see less than the data holds; use"
                    + " --image-size " + CifarBinary.SIDE + " or more (or a larger patch_size for a shorter sequence)");
        }
        String where = "--image-size " + side;
        config.set("image_size", side, where);
        config.set("input_shape", List.of(stored, stored, 3), where);
        config.set("resize_margin", margin, where);
    }

    /** The resolution and scaling in words, one clause per stage, then any notes, for {@code data} and {@code train}. */
    public static List<String> describe(RunConfig config, FileSizes files) {
        int stored = config.data().inputSide();
        int seen = config.model().imageSize();
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "the network sees %s (image_size %d)", square(seen), seen));
        String load = files == null || files.fixed()
                ? String.format(Locale.ROOT, "images are stored at %s as the data holds them", square(stored))
                : String.format(Locale.ROOT, "image files (%s) are scaled to %s on loading (input_shape)", files.text(),
                        square(stored));
        lines.add(load);
        if (config.data().padCrop()) {
            lines.add(String.format(Locale.ROOT, "training: zero-padded by %d to %s, random %s crop, random flip",
                    config.data().pad(), square(stored + 2 * config.data().pad()), square(seen)));
        } else {
            lines.add(String.format(Locale.ROOT, "training: resized to %s (+ resize_margin %d), random %s crop, random flip",
                    square(stored + config.data().resizeMargin()), config.data().resizeMargin(), square(seen)));
        }
        lines.add(seen == stored ? "evaluation: the stored image as it is"
                : String.format(Locale.ROOT, "evaluation: resized to %s", square(seen)));
        int trained = stored + config.data().resizeMargin();
        if (!config.data().padCrop() && seen * 4 < trained * 3) {
            lines.add(String.format(Locale.ROOT, "note: the training crop covers %.0f%% of the picture's side, evaluation"
                    + " all of it, so objects appear at different scales; --image-size %d derives matching sizes",
                    100.0 * seen / trained, seen));
        }
        if (files != null && !files.fixed() && files.commonSide() > stored && seen > stored) {
            lines.add(String.format(Locale.ROOT, "note: images of %s are shrunk to %s and then enlarged to %s, which"
                    + " throws detail away; --image-size %d keeps it (up to %d: the files' size)", square(files.commonSide()),
                    square(stored), square(seen), seen, files.commonSide()));
        } else if (files != null && files.commonSide() > 0 && files.commonSide() < seen) {
            lines.add(String.format(Locale.ROOT, "note: images of %s are enlarged to %s: the network sees more pixels"
                    + " but no more detail", square(files.commonSide()), square(seen)));
        }
        return lines;
    }

    private static String square(int side) {
        return side + "x" + side;
    }
}
