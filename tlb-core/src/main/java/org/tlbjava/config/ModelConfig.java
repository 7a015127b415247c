package org.tlbjava.config;

import java.util.ArrayList;
import java.util.List;
import org.tlbjava.UsageException;

/**
 * The part of the configuration that defines the network, and all that model blocks see. Made by
 * {@link TlbConfig#model()} from the flat config, with "auto" settings resolved for the variant;
 * it checks itself on construction, so every ModelConfig describes a network that can be built.
 *
 * @param variant {@code keras} (the example's network) or {@code paper} (the TLB paper's)
 * @param stateTokens vectors in the slow state (paper; the keras state has {@code chunkSize})
 * @param learnedState whether the paper state starts from learned vectors instead of zeros
 * @param readout {@code last_chunk} (mean of the last chunk's fast stream) or {@code state}
 * @param stem {@code patch} (one strided convolution) or {@code conv} (3x3 convolutions first)
 */
public record ModelConfig(String variant, int imageSize, int patchSize, int embedDim, int chunkSize, int r,
        int numLayers, int numHeads, int keyDim, double ffnDrop, double attnDrop, int numClasses,
        int stateTokens, boolean learnedState, String readout, String stem) {
    public static final String KERAS = "keras";
    public static final String PAPER = "paper";
    public static final String LAST_CHUNK = "last_chunk";
    public static final String STATE = "state";
    public static final String PATCH_STEM = "patch";
    public static final String CONV_STEM = "conv";

    public ModelConfig {
        List<String> problems = problems(variant, imageSize, patchSize, embedDim, chunkSize, r, numLayers, numHeads,
                keyDim, ffnDrop, attnDrop, numClasses, stateTokens, learnedState, readout, stem);
        if (!problems.isEmpty()) {
            throw new UsageException("invalid config: " + String.join("; ", problems));
        }
    }

    /** What is wrong with these settings, one phrase each in config-key terms; empty when they make a network. */
    static List<String> problems(String variant, int imageSize, int patchSize, int embedDim, int chunkSize, int r,
            int numLayers, int numHeads, int keyDim, double ffnDrop, double attnDrop, int numClasses,
            int stateTokens, boolean learnedState, String readout, String stem) {
        List<String> problems = new ArrayList<>();
        Checks.positive(problems, "image_size", imageSize);
        Checks.positive(problems, "patch_size", patchSize);
        Checks.positive(problems, "embed_dim", embedDim);
        Checks.positive(problems, "chunk_size", chunkSize);
        Checks.positive(problems, "r", r);
        Checks.positive(problems, "num_layers", numLayers);
        Checks.positive(problems, "num_heads", numHeads);
        Checks.positive(problems, "key_dim", keyDim);
        Checks.positive(problems, "state_tokens", stateTokens);
        if (numClasses < 2) {
            problems.add("num_classes must be at least 2, got " + numClasses);
        }
        if (imageSize > 0 && patchSize > 0 && imageSize % patchSize != 0) {
            problems.add("image_size " + imageSize + " is not divisible by patch_size " + patchSize);
        } else if (imageSize > 0 && patchSize > 0 && chunkSize > 0 && patches(imageSize, patchSize) % chunkSize != 0) {
            problems.add("the patch count " + patches(imageSize, patchSize) + " ((image_size/patch_size)^2) is not"
                    + " divisible by chunk_size " + chunkSize);
        }
        Checks.oneOf(problems, "variant", variant, KERAS, PAPER);
        Checks.oneOf(problems, "readout", readout, LAST_CHUNK, STATE);
        Checks.oneOf(problems, "stem", stem, PATCH_STEM, CONV_STEM);
        if (learnedState && !PAPER.equals(variant)) {
            problems.add("learned_state applies to variant paper (the keras state starts at zeros, as the reference's)");
        }
        Checks.rate(problems, "ffn_drop", ffnDrop);
        Checks.rate(problems, "attn_drop", attnDrop);
        return problems;
    }

    private static int patches(int imageSize, int patchSize) {
        int side = imageSize / patchSize;
        return side * side;
    }

    public boolean paper() {
        return PAPER.equals(variant);
    }

    public boolean stateReadout() {
        return STATE.equals(readout);
    }

    public boolean convStem() {
        return CONV_STEM.equals(stem);
    }

    /** Patches the image is cut into: (image_size / patch_size)^2. */
    public int numPatches() {
        return patches(imageSize, patchSize);
    }

    /** Recurrent steps: chunks of chunk_size patches. */
    public int numChunks() {
        return numPatches() / chunkSize;
    }

    /** Vectors in the slow state: the keras cell's state is as long as a chunk. */
    public int stateLength() {
        return paper() ? stateTokens : chunkSize;
    }
}
