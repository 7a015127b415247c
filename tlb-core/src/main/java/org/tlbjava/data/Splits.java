package org.tlbjava.data;

import java.util.List;

/**
 * What {@link DataLocator} found: the training, validation and (optional) test images, with a
 * line saying where they came from.
 *
 * @param source where and in which format the data was found
 * @param test the test split, or {@code null} when the source has none
 * @param fileSizes the images' sizes before scaling, or {@code null} when not known
 */
public record Splits(String source, ImageSet train, ImageSet val, ImageSet test, FileSizes fileSizes) {
    public Splits(String source, ImageSet train, ImageSet val, ImageSet test) {
        this(source, train, val, test, null);
    }

    public List<String> classes() {
        return train.classes();
    }

    /**
     * Seeded class-stratified samples of {@code trainLimit}/{@code valLimit} images of train and val
     * ({@link ImageSet#sample}); 0 keeps a split whole, so without limits the data is untouched.
     */
    public Splits limit(int trainLimit, int valLimit, long seed) {
        return new Splits(source, trainLimit > 0 ? train.sample(trainLimit, seed) : train,
                valLimit > 0 ? val.sample(valLimit, seed + 1) : val, test, fileSizes);
    }

    /** Images per class of a split in words: "bird 80, cat 80, dog 80". */
    public static String perClass(ImageSet set) {
        StringBuilder counts = new StringBuilder();
        int[] perClass = set.classCounts();
        for (int c = 0; c < perClass.length; c++) {
            counts.append(c == 0 ? "" : ", ").append(set.classes().get(c)).append(' ').append(perClass[c]);
        }
        return counts.toString();
    }

    public boolean hasTest() {
        return test != null;
    }

    /** The named split: {@code train}, {@code val} or {@code test}. */
    public ImageSet split(String name) {
        switch (name) {
            case "train":
                return train;
            case "val":
                return val;
            case "test":
                if (test == null) {
                    throw new org.tlbjava.TlbException(
                            "the data at " + source + " has no test split (CIFAR-10: test_batch.bin"
                                    + " is absent; image folder: no test/ directory); use --split val");
                }
                return test;
            default:
                throw new org.tlbjava.TlbException(
                        "unknown split '" + name + "': expected train, val or test");
        }
    }
}
