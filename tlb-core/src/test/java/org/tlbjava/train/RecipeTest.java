package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tlbjava.config.RunConfig;
import org.tlbjava.config.TrainConfig;
import org.tlbjava.model.TlbModel;

/** The training recipe's parts against hand-computed values. */
class RecipeTest {
    private final NDManager manager = NDManager.newBaseManager(); // JUnit makes an instance per test

    @AfterEach
    void close() {
        manager.close();
    }

    private static RunConfig tiny() {
        RunConfig c = RunConfig.defaults().with("embed_dim=8", "key_dim=8", "num_layers=2", "ffn_drop=0", "attn_drop=0");
        return c;
    }

    @Test
    void cosineScheduleWarmsUpLinearlyThenFollowsTheCosine() {
        RunConfig c = RunConfig.defaults().with("lr_schedule=" + TrainConfig.COSINE,
                "learning_rate=2e-3",
                "min_lr=1e-5",
                "warmup_epochs=1",
                "epochs=5");
        LearningRateSchedule s = LearningRateSchedule.of(c, 10); // W = 10, T = 50
        assertEquals(2e-4, s.at(1), 1e-15);
        assertEquals(1e-3, s.at(5), 1e-15);
        assertEquals(2e-3, s.at(10), 1e-15, "the peak at the end of the warm-up");
        assertEquals(1e-5 + (2e-3 - 1e-5) * (1 + Math.cos(Math.PI * 10 / 40)) / 2, s.at(20), 1e-15);
        assertEquals((2e-3 + 1e-5) / 2, s.at(30), 1e-15, "half-way through the decay");
        assertEquals(1e-5, s.at(50), 1e-15, "min_lr at the last step");
        c = c.with("lr_schedule=" + TrainConfig.CONSTANT);
        assertEquals(2e-3, LearningRateSchedule.of(c, 10).at(37), 0);
    }

    /** Logits [2, 0, 0], label 0, 3 classes, e = 0.3: targets [0.8, 0.1, 0.1]. */
    @Test
    void labelSmoothingLossMatchesTheHandComputedValue() {
        RunConfig c = RunConfig.defaults().with("num_classes=3", "label_smoothing=0.3");
        NDArray logits = manager.create(new float[] {2, 0, 0}, new Shape(1, 3));
        NDArray labels = manager.create(new int[] {0});
        double z = Math.log(Math.exp(2) + 2);
        double expected = -(0.8 * (2 - z) + 0.1 * (0 - z) + 0.1 * (0 - z));
        assertEquals(expected, TrainStep.loss(logits, labels, c, 1).getFloat(), 1e-6);
        c = c.with("label_smoothing=0");
        assertEquals(z - 2, TrainStep.loss(logits, labels, c, 1).getFloat(), 1e-6, "plain cross-entropy");
        assertEquals((z - 2) / 4, TrainStep.loss(logits, labels, c, 4).getFloat(), 1e-6, "divided by the batch size");
    }

    @Test
    void weightAverageFoldsEachStepInWithTheWarmingDecay() {
        TlbModel model = TlbModel.create(tiny(), manager);
        NDArray w = model.getParameters().get(0).getValue().getArray();
        float start = w.toFloatArray()[0];
        WeightAverage average = new WeightAverage(model, manager, 0.999);
        assertEquals(2.0 / 11, WeightAverage.decayAt(0.999, 1), 1e-12, "(1 + t) / (10 + t) early on");
        assertEquals(0.999, WeightAverage.decayAt(0.999, 100_000), 0, "the configured decay later");
        w.addi(1f);
        average.update(0, 1);
        double d = 2.0 / 11;
        double expected = d * start + (1 - d) * (start + 1);
        assertEquals(expected, average.state().get(0).toFloatArray()[0], 1e-6);
    }

    @Test
    void weightDecayInWeightsModeSparesBiasesNormsAndEmbeddings() {
        RunConfig c = tiny().with("weight_decay_on=weights", "weight_decay=0.5", "learning_rate=0.1");
        TlbModel model = TlbModel.create(c, manager);
        List<String> names = new ArrayList<>();
        List<float[]> before = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            p.getValue().getArray().setRequiresGradient(true); // zero gradients: only the decay moves a weight
            names.add(p.getKey());
            before.add(p.getValue().getArray().toFloatArray());
        }
        Optimizer optimizer = new Optimizer(c, model, manager, 1);
        try (DataParallel workers = new DataParallel(model, manager, 2)) {
            optimizer.step(workers);
        }
        int decayed = 0;
        int spared = 0;
        for (int i = 0; i < names.size(); i++) {
            Parameter p = model.getParameters().get(i).getValue();
            float[] after = p.getArray().toFloatArray();
            String name = names.get(i);
            boolean kernel = p.getType() == Parameter.Type.WEIGHT && !name.endsWith("position_embedding");
            float factor = kernel ? 0.95f : 1f; // 1 - lr * wd
            for (int j = 0; j < after.length; j++) {
                assertEquals(before.get(i)[j] * factor, after[j], 1e-6f, name);
            }
            if (kernel) {
                decayed++;
            } else if (p.getType() != Parameter.Type.WEIGHT || name.endsWith("position_embedding")) {
                spared++;
            }
        }
        assertTrue(decayed > 0 && spared > 0, decayed + " decayed, " + spared + " spared");
        assertTrue(names.stream().anyMatch(n -> n.endsWith("position_embedding")));
    }

    /**
     * Five AdamW steps against Keras 3's AdamW written out in double precision: decay first
     * (w -= lr * wd * w, decayed parameters only), then m += (g - m)(1 - beta1),
     * v += (g^2 - v)(1 - beta2), and w -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps),
     * epsilon outside the bias correction. The gradients change sign and size from step to step,
     * and some are as small as epsilon, where putting epsilon inside the correction (PyTorch's
     * form) moves a weight by half a learning rate more; the learning rate changes every step.
     */
    @Test
    void adamWStepsFollowKeras3() {
        double wd = 0.5;
        double[] rates = {0.05, 0.02, 0.08, 0.01, 0.03};
        float[] start = {1.0f, -0.7f, 0.3f, 2.0f, -1.5f, 0.9f};
        double[] sizes = {3e-7, 3e-7, 0.02, 0.02, 0.9, 0.9}; // gradients around epsilon, small, large
        Parameter kernel = parameter("kernel", start);
        Parameter bias = parameter("bias", start);
        AdamW adamw = new AdamW(List.of(new Pair<>("kernel", kernel), new Pair<>("bias", bias)), manager, wd,
                (name, p) -> name.equals("kernel"));
        double[][] w = {toDouble(start), toDouble(start)};
        double[][] m = new double[2][start.length];
        double[][] v = new double[2][start.length];
        for (int t = 1; t <= rates.length; t++) {
            float[] g = new float[start.length];
            for (int j = 0; j < g.length; j++) {
                g[j] = (float) (sizes[j] * Math.sin(3.1 * t + 1.7 * j));
            }
            setGradient(kernel, g);
            setGradient(bias, g);
            AdamW.Step step = adamw.begin(rates[t - 1]);
            adamw.update(0, step);
            adamw.update(1, step);
            double lr = rates[t - 1];
            double alpha = lr * Math.sqrt(1 - Math.pow(0.999, t)) / (1 - Math.pow(0.9, t));
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < g.length; j++) {
                    if (k == 0) {
                        w[k][j] -= w[k][j] * wd * lr;
                    }
                    m[k][j] += (g[j] - m[k][j]) * (1 - 0.9);
                    v[k][j] += ((double) g[j] * g[j] - v[k][j]) * (1 - 0.999);
                    w[k][j] -= alpha * m[k][j] / (Math.sqrt(v[k][j]) + 1e-7);
                }
            }
            assertClose(w[0], kernel.getArray().toFloatArray(), 2e-6, "kernel after step " + t);
            assertClose(w[1], bias.getArray().toFloatArray(), 2e-6, "bias after step " + t);
            for (int k = 0; k < 2; k++) {
                float[] mk = adamw.state().get(k).toFloatArray();
                float[] vk = adamw.state().get(2 + k).toFloatArray();
                for (int j = 0; j < g.length; j++) {
                    // m may cancel to far below its gradients: float32 rounding is relative to their size
                    assertEquals(m[k][j], mk[j], 1e-6 * sizes[j], "m[" + k + "][" + j + "] after step " + t);
                    assertEquals(v[k][j], vk[j], 1e-6 * v[k][j], "v[" + k + "][" + j + "] after step " + t);
                }
            }
            assertEquals(0, kernel.getArray().getGradient().abs().sum().getFloat(), "the update zeroes the gradient");
        }
    }

    private Parameter parameter(String name, float[] values) {
        NDArray array = manager.create(values);
        array.setRequiresGradient(true);
        return Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optShape(array.getShape()).optArray(array)
                .build();
    }

    /** Makes {@code g} the parameter's gradient: the backward pass of sum(w * g). */
    private void setGradient(Parameter p, float[] g) {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(p.getArray().mul(manager.create(g)).sum());
        }
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
        for (int j = 0; j < expected.length; j++) {
            assertEquals(expected[j], actual[j], tolerance, what + ", entry " + j);
        }
    }

    @Test
    void gradientClippingScalesTheGlobalNormDown() {
        assertEquals(1f, Optimizer.clipScale(new double[] {9, 16}, 0), "off");
        assertEquals(1f, Optimizer.clipScale(new double[] {9, 16}, 5), "a norm of 5 is within 5");
        assertEquals(0.5f, Optimizer.clipScale(new double[] {9, 16}, 2.5), 1e-7f);
    }

    /** One step on two workers' shards in parallel equals the same step's equations on one worker. */
    @Test
    void parallelOptimizerStepEqualsOneWorkersStep() {
        RunConfig c = tiny().with("grad_clip_norm=0.01", "ema_decay=0.9", "weight_decay_on=weights");
        List<float[]> one = stepOnce(c, 1);
        List<float[]> two = stepOnce(c, 2);
        for (int i = 0; i < one.size(); i++) {
            assertArrayEquals(one.get(i), two.get(i), 1e-7f, "parameter " + i);
        }
    }

    private List<float[]> stepOnce(RunConfig c, int workerCount) {
        TlbModel model = TlbModel.create(c, manager);
        int i = 0;
        for (Pair<String, Parameter> p : model.getParameters()) {
            NDArray a = p.getValue().getArray();
            a.setRequiresGradient(true);
            a.getGradient().addi(manager.ones(a.getShape()).mul(0.01f * (i++ % 5 - 2)));
        }
        Optimizer optimizer = new Optimizer(c, model, manager, 1);
        try (DataParallel workers = new DataParallel(model, manager, workerCount)) {
            optimizer.step(workers);
        }
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            out.add(p.getValue().getArray().toFloatArray());
        }
        optimizer.average().state().forEach(a -> out.add(a.toFloatArray()));
        return out;
    }

    @Test
    void flipTtaAveragesTheImageAndItsMirror() {
        RunConfig c = tiny();
        TlbModel model = TlbModel.create(c, manager);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray images = manager.randomUniform(0, 1, new Shape(2, 3, c.model().imageSize(), c.model().imageSize()));
        NDArray plain = model.probabilities(ps, images, false);
        NDArray mirrored = model.probabilities(ps, images.flip(3), false);
        NDArray tta = model.probabilities(ps, images, true);
        assertArrayEquals(plain.add(mirrored).div(2).toFloatArray(), tta.toFloatArray(), 1e-6f);
        assertFalse(plain.allClose(mirrored, 1e-4, 1e-4, false), "the mirror image is another view");
    }
}
