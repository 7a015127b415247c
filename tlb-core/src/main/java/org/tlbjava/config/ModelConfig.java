package org.tlbjava.config;

/**
 * The part of the configuration that defines the network, and all that model blocks see. Made by
 * {@link TlbConfig#model()} from the flat config, with "auto" settings resolved for the variant.
 *
 * @param variant {@code keras} (the example's network) or {@code paper} (the TLB paper's)
 * @param stateTokens vectors in the slow state (paper; the keras state has {@code chunkSize})
 * @param learnedState whether the paper state starts from learned vectors instead of zeros
 * @param readout {@code last_chunk} (mean of the last chunk's fast stream) or {@code state}
 * @param stem {@code patch} (one strided convolution) or {@code conv} (3x3 convolutions first)
 */
public record ModelConfig(String variant, int imageSize, int patchSize, int embedDim, int chunkSize, int r,
        int numLayers, int numHeads, int keyDim, double ffnDrop, double attnDrop, int numClasses,
        int stateTokens, boolean learnedState, String readout, String stem, long seed) {
    public static final String KERAS = "keras";
    public static final String PAPER = "paper";
    public static final String LAST_CHUNK = "last_chunk";
    public static final String STATE = "state";
    public static final String CONV_STEM = "conv";

    public boolean paper() {
        return PAPER.equals(variant);
    }

    public boolean stateReadout() {
        return STATE.equals(readout);
    }

    public boolean convStem() {
        return CONV_STEM.equals(stem);
    }

    public int numPatches() {
        int side = imageSize / patchSize;
        return side * side;
    }

    public int numChunks() {
        return numPatches() / chunkSize;
    }

    /** Vectors in the slow state: the keras cell's state is as long as a chunk. */
    public int stateLength() {
        return paper() ? stateTokens : chunkSize;
    }
}
