package org.tlbjava.explain;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.awt.image.BufferedImage;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tlbjava.TlbException;
import org.tlbjava.data.ImageFolder;
import org.tlbjava.io.AtomicFiles;

/**
 * A trained model run by ONNX Runtime instead of PyTorch: the graph {@code tlb export} writes,
 * built in memory from the loaded weights, with the same preprocessing and predictions as
 * {@link TlbClassifier} (flip test-time augmentation when the run's tta_flip is set). Why:
 * this network runs thousands of small operations per image, and PyTorch's cost per operation
 * dominates small batches (docs/PERFORMANCE.md); ONNX Runtime runs the whole graph in native
 * code. Thread-safe without locking: threads run the one session at once, each on one core
 * (one intra-op thread), so a server scales by calling it from one thread per core.
 */
public final class OnnxClassifier implements AutoCloseable {
    private static final String INPUT = "images";

    private final OrtEnvironment env = NativeRuntime.ENVIRONMENT;
    private final OrtSession session;
    private final List<String> classes;
    private final int side;
    private final boolean ttaFlip;

    /** ONNX Runtime's environment, started once per process. */
    private static final class NativeRuntime {
        static final OrtEnvironment ENVIRONMENT = OrtEnvironment.getEnvironment();

        static {
            removeExtractedLibraries();
        }

        /**
         * ONNX Runtime copies its native libraries into a new /tmp/onnxruntime-java* directory and
         * marks both for deletion at exit, the directory first, so each process left one behind,
         * empty. Loaded libraries are no longer needed on disk (on Linux and macOS; elsewhere the
         * delete fails and ONNX Runtime's own clean-up stands).
         */
        private static void removeExtractedLibraries() {
            try {
                Field directory = OrtEnvironment.class.getClassLoader().loadClass("ai.onnxruntime.OnnxRuntime")
                        .getDeclaredField("tempDirectory");
                directory.setAccessible(true);
                if (directory.get(null) instanceof Path extracted) {
                    AtomicFiles.deleteTree(extracted);
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                // another ONNX Runtime version, without the field: its directory stays, as before
            }
        }
    }

    OnnxClassifier(byte[] onnxModel, List<String> classes, int side, boolean ttaFlip) {
        this.classes = classes;
        this.side = side;
        this.ttaFlip = ttaFlip;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            this.session = env.createSession(onnxModel, options);
        } catch (OrtException e) {
            throw new TlbException("ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    public List<String> classes() {
        return classes;
    }

    /** Classifies several images in one run of the graph (the mirror images in the same run under tta_flip). */
    public List<Prediction> predictAll(List<BufferedImage> images) {
        int n = images.size();
        int plane = side * side;
        byte[] pixels = new byte[(ttaFlip ? 2 : 1) * n * 3 * plane];
        for (int i = 0; i < n; i++) {
            byte[] rgb = ImageFolder.toPlanarRgb(images.get(i), side);
            System.arraycopy(rgb, 0, pixels, i * 3 * plane, 3 * plane);
            if (ttaFlip) {
                mirror(rgb, pixels, (n + i) * 3 * plane);
            }
        }
        float[][] probabilities = run(pixels, pixels.length / (3 * plane));
        List<Prediction> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] row = probabilities[i];
            if (ttaFlip) {
                for (int k = 0; k < row.length; k++) {
                    row[k] = (row[k] + probabilities[n + i][k]) / 2;
                }
            }
            out.add(new Prediction(classes, row));
        }
        return out;
    }

    /** Writes the left-right mirror of planar RGB {@code rgb} into {@code out} at {@code offset}. */
    private void mirror(byte[] rgb, byte[] out, int offset) {
        for (int row = 0; row < 3 * side; row++) {
            int start = row * side;
            for (int x = 0; x < side; x++) {
                out[offset + start + x] = rgb[start + side - 1 - x];
            }
        }
    }

    private float[][] run(byte[] pixels, int batch) {
        long[] shape = {batch, 3, side, side};
        try (OnnxTensor input = OnnxTensor.createTensor(env, ByteBuffer.wrap(pixels), shape, OnnxJavaType.UINT8);
                OrtSession.Result result = session.run(Map.of(INPUT, input))) {
            return (float[][]) result.get(0).getValue();
        } catch (OrtException e) {
            throw new TlbException("ONNX Runtime failed on a batch of " + batch + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new TlbException("cannot close the ONNX Runtime session: " + e.getMessage(), e);
        }
    }
}
