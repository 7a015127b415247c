package org.tlbjava.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.List;

/** The training recipe and how it runs on this machine. Checks itself on construction. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TrainConfig(
        @JsonPropertyDescription("images per optimizer step (gradients accumulate over micro-batches); adapted to small data unless set")
        int batchSize,
        @JsonPropertyDescription("passes over the training images")
        int epochs,
        @JsonPropertyDescription("AdamW learning rate (the peak rate under the cosine schedule)")
        double learningRate,
        @JsonPropertyDescription("AdamW decoupled weight decay")
        double weightDecay,
        @JsonPropertyDescription("all (Keras: every variable) or weights: no decay on LayerNorm scales, biases, embeddings")
        String weightDecayOn,
        @JsonPropertyDescription("constant (the reference) or cosine: linear warm-up, then cosine decay to min_lr by the last step")
        String lrSchedule,
        @JsonPropertyDescription("cosine schedule: epochs of linear warm-up from 0 to learning_rate (fractions allowed)")
        double warmupEpochs,
        @JsonPropertyDescription("cosine schedule: the learning rate at the last step")
        double minLr,
        @JsonPropertyDescription("label smoothing of the cross-entropy targets: (1-e) one-hot + e/num_classes")
        double labelSmoothing,
        @JsonPropertyDescription("clip the batch gradient to this global L2 norm before the update; 0: no clipping")
        double gradClipNorm,
        @JsonPropertyDescription("decay of an exponential moving average of the weights, used for validation and saved as the model; 0: none")
        double emaDecay,
        @JsonPropertyDescription("images per forward/backward pass inside one optimizer batch; 0: the batch shared among workers, at most 256")
        int microBatchSize,
        @JsonPropertyDescription("worker threads, each training or evaluating its own model replica on one core; 0: one per core")
        int workers,
        @JsonPropertyDescription("seed of weights, shuffling, augmentation, dropout, splits and limit samples")
        long seed,
        // what it does on this machine is measured and logged (model.EngineTuning)
        @JsonPropertyDescription("allow PyTorch's \"medium\" matmul precision (bfloat16 on CPUs that have it; float32 results where they do not)")
        boolean mixedPrecision,
        @JsonPropertyDescription("fused: the recurrent cell's forward and backward passes in this tool's Java vector kernels;"
                + " eager: in PyTorch operations; auto: whichever a probe at start measures faster on this machine")
        String kernels) {
    public static final String CONSTANT = "constant";
    /** kernels: whichever path a probe at start measures faster. */
    public static final String AUTO_KERNELS = "auto";
    public static final String FUSED = "fused";
    public static final String EAGER = "eager";
    public static final String COSINE = "cosine";

    public TrainConfig {
        List<String> problems = new ArrayList<>();
        Checks.positive(problems, "batch_size", batchSize);
        Checks.positive(problems, "epochs", epochs);
        if (microBatchSize < 0) {
            problems.add("micro_batch_size must be 0 (automatic) or positive, got " + microBatchSize);
        }
        if (workers < 0) {
            problems.add("workers must be 0 (one per core) or positive, got " + workers);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            problems.add("learning_rate must be a positive number, got " + learningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            problems.add("weight_decay must be a non-negative number, got " + weightDecay);
        }
        Checks.oneOf(problems, "lr_schedule", lrSchedule, CONSTANT, COSINE);
        Checks.oneOf(problems, "kernels", kernels, AUTO_KERNELS, FUSED, EAGER);
        Checks.oneOf(problems, "weight_decay_on", weightDecayOn, "all", "weights");
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
        Checks.require(problems);
    }

    public boolean cosine() {
        return COSINE.equals(lrSchedule);
    }

    /** weight_decay_on weights: decay only dense and conv kernels. */
    public boolean decayWeightsOnly() {
        return "weights".equals(weightDecayOn);
    }
}
