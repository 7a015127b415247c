package org.tlbjava.data;

import java.util.List;

/**
 * What {@link DataLocator} found: the training, validation and (optional) test images, with a
 * line saying where they came from.
 *
 * @param source where and in which format the data was found
 * @param test the test split, or {@code null} when the source has none
 */
public record Splits(String source, ImageSet train, ImageSet val, ImageSet test) {
    public List<String> classes() {
        return train.classes();
    }

    /** The first {@code trainLimit}/{@code valLimit} images of train and val; 0 keeps a split whole. */
    public Splits limit(int trainLimit, int valLimit) {
        return new Splits(source, trainLimit > 0 ? train.limit(trainLimit) : train,
                valLimit > 0 ? val.limit(valLimit) : val, test);
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
