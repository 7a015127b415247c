package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.model.EngineTuning;
import org.tlbjava.model.TlbModel;

/**
 * One optimizer step (two workers' passes, the gradient gather and AdamW) on the fused path
 * against the eager path, from the same weights on the same batch: the same loss, and the same
 * predictions on held-out images after the step, which moved the logits far more than the two
 * paths differ. FusedPathTest holds the passes' gradients themselves to 1e-4.
 */
class FusedTrainingTest {
    private static final RunConfig SMALL = RunConfig.defaults().with("mixed_precision=false", "image_size=16",
            "patch_size=4", "chunk_size=4", "embed_dim=40", "key_dim=24", "num_layers=4", "r=2", "batch_size=24",
            "workers=2", "learning_rate=0.001");

    /** The step's loss, then the logits of {@code held} after it. */
    private record Stepped(float loss, float[] before, float[] after) {}

    private static Batch randomBatch(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] images = new float[size * 3 * 16 * 16]; // at image_size, as BatchLoader gives them
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextDouble();
        }
        int[] labels = new int[size];
        int[] indices = new int[size];
        for (int i = 0; i < size; i++) {
            labels[i] = random.nextInt(10);
            indices[i] = i;
        }
        return new Batch(images, labels, indices, size);
    }

    private static Stepped step(RunConfig config, Batch batch, Batch held) {
        EngineTuning.configureMatmuls(false);
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = TlbModel.create(config, manager);
            for (Pair<String, Parameter> p : model.getParameters()) {
                p.getValue().getArray().setRequiresGradient(true);
            }
            try (DataParallel workers = new DataParallel(model, manager, 2)) {
                workers.reseedDropout(5);
                float[] before = logits(workers, manager, config, held);
                Optimizer optimizer = new Optimizer(config, model, manager, 1);
                float[] stats = new TrainStep(config).run(workers, optimizer, manager, batch);
                return new Stepped(stats[0], before, logits(workers, manager, config, held));
            }
        } finally {
            EngineTuning.configureMatmuls(RunConfig.defaults().train().mixedPrecision());
        }
    }

    private static float[] logits(DataParallel workers, NDManager manager, RunConfig config, Batch held) {
        List<float[]> out = workers.map(1, false, (item, replica, ps) -> {
            try (NDScope temporaries = new NDScope()) {
                return replica.forward(ps, Evaluation.images(manager, held, config), false).toFloatArray();
            }
        });
        return out.get(0);
    }

    private static double largestDifference(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    private static int[] predictions(float[] logits) {
        int[] classes = new int[logits.length / 10];
        for (int i = 0; i < classes.length; i++) {
            for (int c = 1; c < 10; c++) {
                if (logits[i * 10 + c] > logits[i * 10 + classes[i]]) {
                    classes[i] = c;
                }
            }
        }
        return classes;
    }

    @Test
    void oneOptimizerStepMatchesTheEagerPath() {
        Batch batch = randomBatch(24, 1);
        Batch held = randomBatch(64, 2);
        Stepped eager = step(SMALL.with("kernels=eager"), batch, held);
        Stepped fused = step(SMALL.with("kernels=fused"), batch, held);
        assertEquals(eager.loss(), fused.loss(), 1e-5 * Math.abs(eager.loss()), "the step's loss");
        assertTrue(largestDifference(eager.before(), fused.before()) < 1e-4, "the same starting weights");
        double moved = largestDifference(eager.before(), eager.after());
        double apart = largestDifference(eager.after(), fused.after());
        System.out.printf("one step moved the logits by up to %.2e; the paths ended %.2e apart%n", moved, apart);
        assertTrue(apart < 1e-3 && apart < 0.05 * moved, "the paths ended " + apart + " apart after a step that moved the logits by " + moved);
        assertArrayEquals(predictions(eager.after()), predictions(fused.after()), "the same predictions after the step");
    }
}
