package org.tlbjava.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;

/**
 * The run configuration. Defaults are the reference example's {@code config} dict, key for key
 * (snake_case in JSON), plus the few knobs the reference hard-codes or leaves to Keras.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class TlbConfig {
    public static final String CONSTANT = "constant";
    public static final String COSINE = "cosine";
    public static final String RESIZE_CROP = "resize_crop";
    public static final String PAD_CROP = "pad_crop";
    /** readout: chosen by the variant. */
    public static final String AUTO = "auto";

    static final ObjectMapper JSON =
            new ObjectMapper()
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                    .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(SerializationFeature.INDENT_OUTPUT);

    // --- the reference's config ---
    // what it does on this machine is measured and logged (model.EngineTuning)
    @JsonPropertyDescription("allow PyTorch's \"medium\" matmul precision (bfloat16 on CPUs that have it; float32 results where they do not)")
    public boolean mixedPrecision = true;
    @JsonPropertyDescription("the reference's dataset name, recorded only: the data is whatever --data finds")
    public String dataset = "cifar10";
    @JsonPropertyDescription("CIFAR-10: the first N of the 50,000 training records train, the rest validate")
    public int trainSlice = 40_000;
    @JsonPropertyDescription("images per optimizer step (gradients accumulate over micro-batches); adapted to small data unless set")
    public int batchSize = 2048;
    @JsonPropertyDescription("[side, side, 3]: the size images are stored at after loading (CIFAR-10: 32; image folders: scaled to it)")
    public int[] inputShape = {32, 32, 3};
    @JsonPropertyDescription("the side in pixels of the square image the network sees (the training crop and the evaluation size)")
    public int imageSize = 48;
    @JsonPropertyDescription("classes of the model's head; set from the data when training")
    public int numClasses = 10;
    @JsonPropertyDescription("AdamW learning rate (the peak rate under the cosine schedule)")
    public double learningRate = 1e-4;
    @JsonPropertyDescription("AdamW decoupled weight decay")
    public double weightDecay = 1e-4;
    @JsonPropertyDescription("passes over the training images")
    public int epochs = 30;
    @JsonPropertyDescription("side of the square patches the image is cut into (image_size must be divisible by it)")
    public int patchSize = 4;
    @JsonPropertyDescription("width of every token vector")
    public int embedDim = 64;
    @JsonPropertyDescription("patches the fast stream reads per recurrent step")
    public int chunkSize = 8;
    @JsonPropertyDescription("the fast stream reads the slow state every r layers")
    public int r = 2;
    @JsonPropertyDescription("Transformer layers of the fast stream per chunk")
    public int numLayers = 4;
    @JsonPropertyDescription("dropout rate in the feed-forward blocks")
    public double ffnDrop = 0.2;
    @JsonPropertyDescription("dropout rate on the attention weights")
    public double attnDrop = 0.2;
    @JsonPropertyDescription("attention heads")
    public int numHeads = 1;

    // --- the model variant (issue 11); the defaults are the reference's network ---
    @JsonPropertyDescription("keras (the example's network) or paper (the TLB paper's mechanism)")
    public String variant = ModelConfig.KERAS;
    @JsonPropertyDescription("paper variant: vectors in the slow state (the keras state has chunk_size vectors)")
    public int stateTokens = 8;
    @JsonPropertyDescription("paper variant: start the state from learned vectors instead of zeros")
    public boolean learnedState = false;
    @JsonPropertyDescription("last_chunk, state, or auto (last_chunk for keras, state for paper): what the head reads")
    public String readout = "auto";
    @JsonPropertyDescription("patch (one strided convolution) or conv (two 3x3 convolutions with ReLU before it)")
    public String stem = "patch";

    // --- the training recipe beyond the reference (issue 12); the defaults are the reference's ---
    @JsonPropertyDescription("constant (the reference) or cosine: linear warm-up, then cosine decay to min_lr by the last step")
    public String lrSchedule = CONSTANT;
    @JsonPropertyDescription("cosine schedule: epochs of linear warm-up from 0 to learning_rate (fractions allowed)")
    public double warmupEpochs = 0;
    @JsonPropertyDescription("cosine schedule: the learning rate at the last step")
    public double minLr = 0;
    @JsonPropertyDescription("label smoothing of the cross-entropy targets: (1-e) one-hot + e/num_classes")
    public double labelSmoothing = 0;
    @JsonPropertyDescription("all (Keras: every variable) or weights: no decay on LayerNorm scales, biases, embeddings")
    public String weightDecayOn = "all";
    @JsonPropertyDescription("clip the batch gradient to this global L2 norm before the update; 0: no clipping")
    public double gradClipNorm = 0;
    @JsonPropertyDescription("decay of an exponential moving average of the weights, used for validation and saved as the model; 0: none")
    public double emaDecay = 0;
    @JsonPropertyDescription("evaluate and predict on the mean of the softmax of each image and its mirror image")
    public boolean ttaFlip = false;
    @JsonPropertyDescription("resize_crop (the reference: resize to input+resize_margin, random crop, flip) or pad_crop (zero-pad by pad pixels, random crop at the input size, flip; needs image_size = input side)")
    public String augmentation = RESIZE_CROP;
    @JsonPropertyDescription("pad_crop: pixels of zero padding on each side before the random crop")
    public int pad = 4;

    // --- what the reference fixes in code or leaves to Keras ---
    @JsonPropertyDescription("size of each attention head (the reference passes key_dim = embed_dim)")
    public int keyDim = 64;
    @JsonPropertyDescription("resize_crop: pixels added to the stored side before the random training crop (input_shape[0] + 20 = 52)")
    public int resizeMargin = 20;
    @JsonPropertyDescription("seed of weights, shuffling, augmentation, dropout, splits and limit samples")
    public long seed = 42;
    @JsonPropertyDescription("images per forward/backward pass inside one optimizer batch; 0: the batch shared among workers, at most 256")
    public int microBatchSize = 0;
    @JsonPropertyDescription("worker threads, each training or evaluating its own model replica on one core; 0: one per core")
    public int workers = 0;
    @JsonPropertyDescription("use a seeded class-stratified sample of N training images (0: all)")
    public int trainLimit = 0;
    @JsonPropertyDescription("use a seeded class-stratified sample of N validation images (0: all)")
    public int valLimit = 0;
    @JsonPropertyDescription("image folders without val/: the fraction of each class held out for validation")
    public double valFraction = 0.2;
    @JsonPropertyDescription("largest image (width x height) read from a file; larger ones are refused from their header")
    public long maxImagePixels = 50_000_000;

    /** Reads a JSON config file; keys it does not mention keep their defaults. */
    public static TlbConfig load(Path file) {
        return new TlbConfig().merge(file);
    }

    /** Applies a JSON config file over this config: keys it does not mention keep their values. */
    public TlbConfig merge(Path file) {
        TlbConfig config = this;
        try {
            String text = Files.readString(file);
            JsonNode node = JSON.readTree(text);
            if (node == null || !node.isObject()) {
                throw new TlbException("config file " + file + ": expected a JSON object");
            }
            Iterator<String> names = node.fieldNames();
            while (names.hasNext()) {
                String key = names.next();
                config.apply(key, node.get(key), "config file " + file);
            }
        } catch (NoSuchFileException e) {
            throw new TlbException("config file " + file + " does not exist");
        } catch (JsonProcessingException e) {
            throw new TlbException(
                    "config file " + file + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new TlbException("cannot read config file " + file + ": " + e.getMessage());
        }
        return config;
    }

    /** Applies one {@code key=value} override, as given to {@code --set}. */
    public void set(String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new UsageException("--set expects key=value, got '" + assignment + "'");
        }
        String key = assignment.substring(0, eq).trim();
        String raw = assignment.substring(eq + 1).trim();
        JsonNode value;
        try {
            value = JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            value = null;
        }
        if (value == null || value.isMissingNode()) {
            value = TextNode.valueOf(raw); // a bare word such as a dataset name
        }
        apply(key, value, "--set " + assignment);
    }

    void apply(String key, JsonNode value, String where) {
        ObjectNode single = JSON.createObjectNode();
        single.set(key, value);
        try {
            JSON.readerForUpdating(this).readValue(single);
        } catch (UnrecognizedPropertyException e) {
            throw new UsageException(
                    where + ": unknown config key '" + key + "' (known keys: "
                            + String.join(", ", keys()) + ")");
        } catch (MismatchedInputException e) {
            throw new UsageException(
                    where + ": bad value " + value + " for '" + key + "': expected "
                            + describe(e.getTargetType()));
        } catch (IOException e) { // Jackson's other mapping errors: its messages name Java types, not the key's
            throw new UsageException(
                    where + ": bad value " + value + " for '" + key + "': expected " + describe(ConfigKeys.type(key)));
        }
    }

    /** A key's type in words, for errors and {@code tlb config}. */
    static String describe(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class) {
            return "an integer";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == int[].class) {
            return "a list of integers such as [32,32,3]";
        }
        return type == null ? "another type" : type.getSimpleName().toLowerCase();
    }

    /** All config keys, in file order. */
    public static List<String> keys() {
        List<String> keys = new ArrayList<>();
        JSON.valueToTree(new TlbConfig()).fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /** Checks every value; throws one message listing each problem. */
    public TlbConfig validate() {
        List<String> problems = new ArrayList<>();
        Checks.positive(problems, "batch_size", batchSize);
        Checks.positive(problems, "epochs", epochs);
        Checks.positive(problems, "train_slice", trainSlice);
        Checks.positive(problems, "max_image_pixels", maxImagePixels);
        if (microBatchSize < 0) {
            problems.add("micro_batch_size must be 0 (automatic) or positive, got " + microBatchSize);
        }
        if (workers < 0) {
            problems.add("workers must be 0 (one per core) or positive, got " + workers);
        }
        if (trainLimit < 0 || valLimit < 0) {
            problems.add("train_limit and val_limit must be 0 (all) or positive");
        }
        if (resizeMargin < 0) {
            problems.add("resize_margin must not be negative, got " + resizeMargin);
        }
        if (inputShape == null || inputShape.length != 3 || inputShape[2] != 3
                || inputShape[0] <= 0 || inputShape[1] <= 0) {
            problems.add("input_shape must be [height, width, 3] with positive sizes");
        } else if (inputShape[0] != inputShape[1]) {
            problems.add("input_shape must be square, [N, N, 3] (images are scaled to N x N), got "
                    + java.util.Arrays.toString(inputShape));
        } else if (RESIZE_CROP.equals(augmentation) && imageSize > 0 && resizeMargin >= 0 && inputShape[0] + resizeMargin < imageSize) {
            problems.add("the random crop of image_size " + imageSize + " does not fit in the resized training"
                    + " image of input_shape + resize_margin = " + inputShape[0] + " + " + resizeMargin + " = "
                    + (inputShape[0] + resizeMargin) + "; raise resize_margin to at least "
                    + (imageSize - inputShape[0]) + " or lower image_size");
        }
        String[] readouts = {AUTO, ModelConfig.LAST_CHUNK, ModelConfig.STATE};
        Checks.oneOf(problems, "readout", readout, readouts);
        // an unknown readout gets that one message, not a second one from the model's check
        String modelReadout = java.util.Arrays.asList(readouts).contains(readout) ? resolvedReadout() : ModelConfig.LAST_CHUNK;
        problems.addAll(ModelConfig.problems(variant, imageSize, patchSize, embedDim, chunkSize, r, numLayers,
                numHeads, keyDim, ffnDrop, attnDrop, numClasses, stateTokens, learnedState, modelReadout, stem));
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            problems.add("learning_rate must be a positive number, got " + learningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            problems.add("weight_decay must be a non-negative number, got " + weightDecay);
        }
        Checks.oneOf(problems, "lr_schedule", lrSchedule, CONSTANT, COSINE);
        Checks.oneOf(problems, "weight_decay_on", weightDecayOn, "all", "weights");
        Checks.oneOf(problems, "augmentation", augmentation, RESIZE_CROP, PAD_CROP);
        if (!(warmupEpochs >= 0) || warmupEpochs > epochs) {
            problems.add("warmup_epochs must be in [0, epochs], got " + warmupEpochs);
        }
        if (!(minLr >= 0) || minLr > learningRate) {
            problems.add("min_lr must be in [0, learning_rate], got " + minLr);
        }
        Checks.rate(problems, "label_smoothing", labelSmoothing);
        Checks.rate(problems, "ema_decay", emaDecay);
        if (!(gradClipNorm >= 0) || Double.isInfinite(gradClipNorm)) {
            problems.add("grad_clip_norm must be 0 (off) or a positive number, got " + gradClipNorm);
        }
        if (pad < 0) {
            problems.add("pad must not be negative, got " + pad);
        }
        if (PAD_CROP.equals(augmentation) && inputShape != null && inputShape.length == 3
                && imageSize != inputShape[0]) {
            problems.add("augmentation pad_crop crops at the input size, so image_size must equal input_shape's side "
                    + inputShape[0] + ", got " + imageSize);
        }
        if (!(valFraction > 0 && valFraction < 1)) {
            problems.add("val_fraction must be in (0, 1), got " + valFraction);
        }
        if (!problems.isEmpty()) {
            throw new UsageException("invalid config: " + String.join("; ", problems));
        }
        return this;
    }

    /** The network's part of this config, "auto" settings resolved; what model blocks are given. */
    @JsonIgnore
    public ModelConfig model() {
        return new ModelConfig(variant, imageSize, patchSize, embedDim, chunkSize, r, numLayers, numHeads, keyDim,
                ffnDrop, attnDrop, numClasses, stateTokens, learnedState, resolvedReadout(), stem);
    }

    /** readout with auto resolved: the paper variant reads its state, the keras one its last chunk. */
    private String resolvedReadout() {
        if (!AUTO.equals(readout)) {
            return readout;
        }
        return ModelConfig.PAPER.equals(variant) ? ModelConfig.STATE : ModelConfig.LAST_CHUNK;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static TlbConfig fromJson(String json, String where) {
        try {
            return JSON.readValue(json, TlbConfig.class);
        } catch (JsonProcessingException e) {
            throw new TlbException(where + " is not a valid config: " + e.getOriginalMessage());
        }
    }

    public TlbConfig copy() {
        return fromJson(toJson(), "config");
    }
}
