package org.tlbjava.data;

/**
 * One batch ready for the model: {@code images} is float NCHW of {@code size} images,
 * {@code labels} their class indices, {@code indices} their positions in the split.
 */
public record Batch(float[] images, int[] labels, int[] indices, int size) {}
