package org.tlbjava.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.List;

/**
 * The network: what model blocks are given. It checks itself on construction, so every
 * ModelConfig describes a network that can be built. Defaults (the reference's) are in
 * {@code defaults.json}; {@link ConfigResolver} makes it from config keys.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ModelConfig(
        @JsonPropertyDescription("keras (the example's network) or paper (the TLB paper's mechanism)")
        String variant,
        @JsonPropertyDescription("the side in pixels of the square image the network sees (the training crop and the evaluation size)")
        int imageSize,
        @JsonPropertyDescription("side of the square patches the image is cut into (image_size must be divisible by it)")
        int patchSize,
        @JsonPropertyDescription("width of every token vector")
        int embedDim,
        @JsonPropertyDescription("patches the fast stream reads per recurrent step")
        int chunkSize,
        @JsonPropertyDescription("the fast stream reads the slow state every r layers")
        int r,
        @JsonPropertyDescription("Transformer layers of the fast stream per chunk")
        int numLayers,
        @JsonPropertyDescription("attention heads")
        int numHeads,
        @JsonPropertyDescription("size of each attention head (the reference passes key_dim = embed_dim)")
        int keyDim,
        @JsonPropertyDescription("dropout rate in the feed-forward blocks")
        double ffnDrop,
        @JsonPropertyDescription("dropout rate on the attention weights")
        double attnDrop,
        @JsonPropertyDescription("classes of the model's head; set from the data when training")
        int numClasses,
        @JsonPropertyDescription("paper variant: vectors in the slow state (the keras state has chunk_size vectors)")
        int stateTokens,
        @JsonPropertyDescription("paper variant: start the state from learned vectors instead of zeros")
        boolean learnedState,
        @JsonPropertyDescription("last_chunk, state, or auto (last_chunk for keras, state for paper): what the head reads")
        String readout,
        @JsonPropertyDescription("patch (one strided convolution) or conv (two 3x3 convolutions with ReLU before it)")
        String stem,
        @JsonPropertyDescription("evaluate and predict on the mean of the softmax of each image and its mirror image")
        boolean ttaFlip) {
    public static final String KERAS = "keras";
    public static final String PAPER = "paper";
    public static final String LAST_CHUNK = "last_chunk";
    public static final String STATE = "state";
    /** readout: chosen by the variant. */
    public static final String AUTO = "auto";
    public static final String PATCH_STEM = "patch";
    public static final String CONV_STEM = "conv";

    public ModelConfig {
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
        Checks.oneOf(problems, "readout", readout, AUTO, LAST_CHUNK, STATE);
        Checks.oneOf(problems, "stem", stem, PATCH_STEM, CONV_STEM);
        if (learnedState && !PAPER.equals(variant)) {
            problems.add("learned_state applies to variant paper (the keras state starts at zeros, as the reference's)");
        }
        Checks.rate(problems, "ffn_drop", ffnDrop);
        Checks.rate(problems, "attn_drop", attnDrop);
        Checks.require(problems);
    }

    private static int patches(int imageSize, int patchSize) {
        int side = imageSize / patchSize;
        return side * side;
    }

    public boolean paper() {
        return PAPER.equals(variant);
    }

    /** What the head reads, auto resolved: the paper variant reads its state, the keras one its last chunk. */
    public String headReads() {
        return AUTO.equals(readout) ? (paper() ? STATE : LAST_CHUNK) : readout;
    }

    public boolean stateReadout() {
        return STATE.equals(headReads());
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
