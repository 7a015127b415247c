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

    /**
     * A seeded sample of {@code limit} images drawn per class in proportion to its share (largest
     * remainders first, and at least one of every class when the limit allows), kept in their stored
     * order; this set when it is no larger. The first N of a class-sorted folder would be one class.
     */
    public ImageSet sample(int limit, long seed) {
        if (limit >= size()) {
            return this;
        }
        int[] counts = classCounts();
        int[] take = new int[counts.length];
        int present = (int) java.util.Arrays.stream(counts).filter(n -> n > 0).count();
        int taken = 0;
        if (limit >= present) { // one of every class first, so a small class is not rounded away
            for (int c = 0; c < counts.length; c++) {
                take[c] = Math.min(1, counts[c]);
            }
            taken = present;
        }
        // the rest in proportion to what each class has left, largest remainders first
        int rest = limit - taken;
        int left = size() - taken;
        double[] remainder = new double[counts.length];
        for (int c = 0; c < counts.length; c++) {
            double share = (double) (counts[c] - take[c]) * rest / left;
            take[c] += (int) share;
            remainder[c] = share - (int) share;
            taken += (int) share;
        }
        Integer[] order = new Integer[counts.length];
        for (int c = 0; c < order.length; c++) {
            order[c] = c;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparingDouble(c -> -remainder[c]));
        for (int i = 0; taken < limit; i = (i + 1) % order.length) {
            if (take[order[i]] < counts[order[i]]) {
                take[order[i]]++;
                taken++;
            }
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        boolean[] chosen = new boolean[size()];
        for (int c = 0; c < counts.length; c++) {
            int[] members = new int[counts[c]];
            int n = 0;
            for (int i = 0; i < size(); i++) {
                if (labels[i] == c) {
                    members[n++] = i;
                }
            }
            for (int i = 0; i < take[c]; i++) { // partial Fisher-Yates: the first take[c] of a shuffle
                int j = i + random.nextInt(members.length - i);
                int swap = members[i];
                members[i] = members[j];
                members[j] = swap;
                chosen[members[i]] = true;
            }
        }
        int[] indices = new int[limit];
        int at = 0;
        for (int i = 0; i < size(); i++) {
            if (chosen[i]) {
                indices[at++] = i;
            }
        }
        return select(indices);
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
