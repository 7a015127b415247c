package org.tlbjava.data;

import java.util.List;

/**
 * Images held as bytes, the way CIFAR-10 stores them: per image a red, a green and a blue plane,
 * each {@code height x width} row-major. 50,000 CIFAR images take 150 MB this way, not 600 MB.
 */
public final class ImageSet {
    private final byte[] pixels;
    private final int[] labels;
    private final int height;
    private final int width;
    private final List<String> classes;

    public ImageSet(byte[] pixels, int[] labels, int height, int width, List<String> classes) {
        if (pixels.length != (long) labels.length * 3 * height * width) {
            throw new IllegalArgumentException("pixel buffer does not match " + labels.length + " images");
        }
        this.pixels = pixels;
        this.labels = labels;
        this.height = height;
        this.width = width;
        this.classes = List.copyOf(classes);
    }

    public int size() {
        return labels.length;
    }

    public int label(int index) {
        return labels[index];
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int imageBytes() {
        return 3 * height * width;
    }

    public List<String> classes() {
        return classes;
    }

    /** Offset of image {@code index}'s first byte in {@link #pixels()}. */
    public int offset(int index) {
        return index * imageBytes();
    }

    /** Image {@code index} as a picture of its stored size. */
    public java.awt.image.BufferedImage image(int index) {
        java.awt.image.BufferedImage out = new java.awt.image.BufferedImage(width, height,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        int plane = height * width;
        int at = offset(index);
        for (int p = 0; p < plane; p++) {
            int rgb = (pixels[at + p] & 0xff) << 16 | (pixels[at + plane + p] & 0xff) << 8 | (pixels[at + 2 * plane + p] & 0xff);
            out.setRGB(p % width, p / width, rgb);
        }
        return out;
    }

    /** The shared pixel buffer; read-only by convention. */
    public byte[] pixels() {
        return pixels;
    }

    /** Images {@code [from, to)} as a new set (copies their bytes). */
    public ImageSet slice(int from, int to) {
        int[] order = new int[Math.max(0, to - from)];
        for (int i = 0; i < order.length; i++) {
            order[i] = from + i;
        }
        return select(order);
    }

    /** The images at {@code indices}, in that order, as a new set. */
    public ImageSet select(int[] indices) {
        int bytes = imageBytes();
        byte[] out = new byte[indices.length * bytes];
        int[] outLabels = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * bytes, out, i * bytes, bytes);
            outLabels[i] = labels[indices[i]];
        }
        return new ImageSet(out, outLabels, height, width, classes);
    }

    /** The first {@code limit} images, or this set when it is no larger. */
    public ImageSet limit(int limit) {
        return limit >= size() ? this : slice(0, limit);
    }

    /** Images per class, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[classes.size()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /** Concatenates sets of the same geometry and classes. */
    public static ImageSet concat(List<ImageSet> parts) {
        ImageSet first = parts.get(0);
        int total = parts.stream().mapToInt(ImageSet::size).sum();
        byte[] pixels = new byte[total * first.imageBytes()];
        int[] labels = new int[total];
        int at = 0;
        for (ImageSet part : parts) {
            System.arraycopy(part.pixels, 0, pixels, at * first.imageBytes(), part.pixels.length);
            System.arraycopy(part.labels, 0, labels, at, part.size());
            at += part.size();
        }
        return new ImageSet(pixels, labels, first.height, first.width, first.classes);
    }
}
