package org.tlbjava.data;

import java.util.TreeMap;
import java.util.Locale;
import java.util.Map;

/**
 * The pixel sizes of the images the data was read from, before any scaling.
 *
 * @param text the sizes in words: "128x128", or "64x48 to 640x480 (most 128x128)"
 * @param commonSide the shorter side of the most common size
 * @param fixed true when the format has one size (CIFAR-10), so nothing is scaled on loading
 */
public record FileSizes(String text, int commonSide, boolean fixed) {
    static FileSizes fixed(int side) {
        return new FileSizes(side + "x" + side, side, true);
    }

    /** Counts the sizes of images as they are read. */
    static final class Counter {
        private final Map<String, Integer> counts = new TreeMap<>();
        private final Map<String, Integer> sides = new TreeMap<>();
        private long smallest = Long.MAX_VALUE;
        private long largest = 0;
        private String smallestText;
        private String largestText;

        void add(int width, int height) {
            String key = width + "x" + height;
            counts.merge(key, 1, Integer::sum);
            sides.put(key, Math.min(width, height));
            long pixels = (long) width * height;
            if (pixels < smallest) {
                smallest = pixels;
                smallestText = key;
            }
            if (pixels > largest) {
                largest = pixels;
                largestText = key;
            }
        }

        FileSizes sizes() {
            String common = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("");
            String text = counts.size() <= 1 ? common
                    : String.format(Locale.ROOT, "%s to %s, most %s", smallestText, largestText, common);
            return new FileSizes(text, sides.getOrDefault(common, 0), false);
        }
    }
}
