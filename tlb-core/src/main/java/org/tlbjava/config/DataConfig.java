package org.tlbjava.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.List;

/**
 * The data: how images are found, split, stored and augmented. Checks itself on construction;
 * the checks that need the network's image size are {@link RunConfig}'s.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DataConfig(
        @JsonPropertyDescription("the reference's dataset name, recorded only: the data is whatever --data finds")
        String dataset,
        @JsonPropertyDescription("CIFAR-10: the first N of the 50,000 training records train, the rest validate")
        int trainSlice,
        @JsonPropertyDescription("[side, side, 3]: the size images are stored at after loading (CIFAR-10: 32; image folders: scaled to it)")
        List<Integer> inputShape,
        @JsonPropertyDescription("resize_crop (the reference: resize to input+resize_margin, random crop, flip) or pad_crop (zero-pad by pad pixels, random crop at the input size, flip; needs image_size = input side)")
        String augmentation,
        @JsonPropertyDescription("pad_crop: pixels of zero padding on each side before the random crop")
        int pad,
        @JsonPropertyDescription("resize_crop: pixels added to the stored side before the random training crop (input_shape[0] + 20 = 52)")
        int resizeMargin,
        @JsonPropertyDescription("use a seeded class-stratified sample of N training images (0: all)")
        int trainLimit,
        @JsonPropertyDescription("use a seeded class-stratified sample of N validation images (0: all)")
        int valLimit,
        @JsonPropertyDescription("image folders without val/: the fraction of each class held out for validation")
        double valFraction,
        @JsonPropertyDescription("largest image (width x height) read from a file; larger ones are refused from their header")
        long maxImagePixels) {
    public static final String RESIZE_CROP = "resize_crop";
    public static final String PAD_CROP = "pad_crop";

    public DataConfig {
        List<String> problems = new ArrayList<>();
        Checks.positive(problems, "train_slice", trainSlice);
        Checks.positive(problems, "max_image_pixels", maxImagePixels);
        if (trainLimit < 0 || valLimit < 0) {
            problems.add("train_limit and val_limit must be 0 (all) or positive");
        }
        if (resizeMargin < 0) {
            problems.add("resize_margin must not be negative, got " + resizeMargin);
        }
        if (pad < 0) {
            problems.add("pad must not be negative, got " + pad);
        }
        if (inputShape == null || inputShape.size() != 3 || inputShape.contains(null) || inputShape.get(2) != 3
                || inputShape.get(0) <= 0 || inputShape.get(1) <= 0) {
            problems.add("input_shape must be [height, width, 3] with positive sizes");
        } else if (!inputShape.get(0).equals(inputShape.get(1))) {
            problems.add("input_shape must be square, [N, N, 3] (images are scaled to N x N), got " + inputShape);
        }
        Checks.oneOf(problems, "augmentation", augmentation, RESIZE_CROP, PAD_CROP);
        if (!(valFraction > 0 && valFraction < 1)) {
            problems.add("val_fraction must be in (0, 1), got " + valFraction);
        }
        Checks.require(problems);
        inputShape = List.copyOf(inputShape);
    }

    /** The side images are stored at: input_shape is [side, side, 3]. */
    public int inputSide() {
        return inputShape.get(0);
    }

    public boolean padCrop() {
        return PAD_CROP.equals(augmentation);
    }
}
