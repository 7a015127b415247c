package org.tlbjava.export;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.model.TlbModel;
import org.tlbjava.testing.Synthetic;
import org.tlbjava.train.Optimizer;
import org.tlbjava.train.DataRecord;
import org.tlbjava.train.EpochRecord;
import org.tlbjava.train.RunDirectory;

/** Run directories, images and an ONNX Runtime session for the export's tests and benchmark. */
public final class OnnxFixtures {
    private static final int RECORD = 3073;

    private OnnxFixtures() {}

    /** A float32 config (no bf16 matmuls) with the given --set assignments. */
    public static RunConfig config(String... assignments) {
        return RunConfig.defaults().with("mixed_precision=false").with(assignments);
    }

    /**
     * A run directory holding a model with fresh weights plus noise, written as training writes
     * them: every weight (LayerNorm γ and β included) is off its initial value, as after training.
     */
    public static Path run(Path dir, RunConfig config) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = TlbModel.create(config, manager);
            Random random = new Random(3);
            for (Pair<String, Parameter> p : model.getParameters()) {
                NDArray array = p.getValue().getArray();
                float[] noise = new float[Math.toIntExact(array.size())];
                for (int i = 0; i < noise.length; i++) {
                    noise[i] = (float) (0.05 * random.nextGaussian());
                }
                array.addi(manager.create(noise, array.getShape()));
            }
            RunDirectory run = new RunDirectory(dir);
            run.writeStart(config, List.of(Synthetic.CLASSES), new DataRecord("synthetic", "random weights", null));
            run.writeEpoch(model, new Optimizer(config, model, manager, 1),
                    new RunDirectory.State(1, 1, "synthetic", List.of(new EpochRecord(1, 2, 0.1, 2, 0.1, 1, 1e-4))));
        }
        return dir;
    }

    /** {@code n} CIFAR-10 images as planar RGB bytes: real ones where $TLB_DATA has them, else synthetic. */
    static byte[] images(int n) throws IOException {
        Path batch = DataLocator.root(null).resolve("cifar-10-batches-bin/data_batch_1.bin");
        byte[] records = new byte[n * RECORD];
        if (Files.isRegularFile(batch)) {
            try (InputStream in = Files.newInputStream(batch)) {
                in.readNBytes(records, 0, records.length);
            }
        } else {
            records = Synthetic.batch(n, 7);
        }
        byte[] pixels = new byte[n * (RECORD - 1)];
        for (int i = 0; i < n; i++) {
            System.arraycopy(records, i * RECORD + 1, pixels, i * (RECORD - 1), RECORD - 1);
        }
        return pixels;
    }

    /** The 32 x 32 planar RGB images as BufferedImages, for TlbClassifier. */
    static List<BufferedImage> bufferedImages(byte[] pixels) {
        List<BufferedImage> images = new ArrayList<>();
        int plane = 32 * 32;
        for (int offset = 0; offset < pixels.length; offset += 3 * plane) {
            BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            for (int i = 0; i < plane; i++) {
                int r = pixels[offset + i] & 0xff;
                int g = pixels[offset + plane + i] & 0xff;
                int b = pixels[offset + 2 * plane + i] & 0xff;
                image.setRGB(i % 32, i / 32, (r << 16) | (g << 8) | b);
            }
            images.add(image);
        }
        return images;
    }

    /** An ONNX Runtime session on 2 threads; {@link #run} feeds it uint8 images. */
    static final class Runtime implements AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;

        Runtime(Path model) throws OrtException {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(2);
            options.setInterOpNumThreads(1);
            session = env.createSession(model.toString(), options);
        }

        OrtSession session() {
            return session;
        }

        /** Every output's values for {@code n} images of {@code side x side}, flattened. */
        List<float[]> run(byte[] pixels, int n, int side) throws OrtException {
            long[] shape = {n, 3, side, side};
            try (OnnxTensor input = OnnxTensor.createTensor(env, ByteBuffer.wrap(pixels), shape, OnnxJavaType.UINT8);
                    OrtSession.Result result = session.run(Map.of("images", input))) {
                List<float[]> outputs = new ArrayList<>();
                for (var output : result) {
                    FloatBuffer values = ((OnnxTensor) output.getValue()).getFloatBuffer();
                    float[] copy = new float[values.remaining()];
                    values.get(copy);
                    outputs.add(copy);
                }
                return outputs;
            }
        }

        @Override
        public void close() throws OrtException {
            session.close();
        }
    }

    static float maxDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths " + a.length + " and " + b.length + " differ");
        }
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    static int argMax(float[] values, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (values[offset + i] > values[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    static float[] concat(List<float[]> rows) {
        int n = rows.stream().mapToInt(r -> r.length).sum();
        float[] out = Arrays.copyOf(rows.get(0), n);
        int at = rows.get(0).length;
        for (int i = 1; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, out, at, rows.get(i).length);
            at += rows.get(i).length;
        }
        return out;
    }
}
