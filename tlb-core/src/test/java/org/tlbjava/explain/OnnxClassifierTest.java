package org.tlbjava.explain;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.testing.TrainedRuns;

/** ONNX Runtime gives the predictions TlbClassifier gives, with and without flip TTA, in any batch. */
class OnnxClassifierTest {
    @TempDir
    Path tmp;

    /** The trained run's files, with tta_flip set in its config. */
    private Path runWithTtaFlip(boolean flip) throws Exception {
        Path source = TrainedRuns.runsDir().resolve(TrainedRuns.RUN);
        Path copy = Files.createDirectories(tmp.resolve("flip-" + flip));
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(copy.resolve("config.json").toFile());
        config.put("tta_flip", flip);
        json.writeValue(copy.resolve("config.json").toFile(), config);
        return copy;
    }

    private static List<BufferedImage> images(int count, int side) {
        Random random = new Random(7);
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    image.setRGB(x, y, x < side / 2 ? random.nextInt(1 << 24) : 0x203040 * (1 + y % 3));
                }
            }
            images.add(image);
        }
        return images;
    }

    private static List<float[]> probabilities(List<Prediction> predictions) {
        return predictions.stream().map(Prediction::probabilities).toList();
    }

    @Test
    void onnxRuntimeMatchesPytorchWithAndWithoutFlipTta() throws Exception {
        List<BufferedImage> images = images(6, 40); // not the input size: both scale it the same way
        List<float[]> plain = null;
        for (boolean flip : new boolean[] {false, true}) {
            try (TlbClassifier pytorch = TlbClassifier.load(runWithTtaFlip(flip));
                    OnnxClassifier onnx = pytorch.onnxRuntime()) {
                List<float[]> expected = probabilities(pytorch.predictAll(images));
                List<float[]> batched = probabilities(onnx.predictAll(images));
                for (int i = 0; i < images.size(); i++) {
                    assertArrayEquals(expected.get(i), batched.get(i), 1e-4f, "image " + i + ", tta_flip " + flip);
                    assertArrayEquals(expected.get(i), onnx.predictAll(List.of(images.get(i))).get(0).probabilities(),
                            1e-4f, "image " + i + " alone, tta_flip " + flip);
                }
                if (!flip) {
                    plain = expected;
                } else {
                    double change = 0;
                    for (int i = 0; i < images.size(); i++) {
                        for (int k = 0; k < plain.get(i).length; k++) {
                            change = Math.max(change, Math.abs(plain.get(i)[k] - expected.get(i)[k]));
                        }
                    }
                    assertTrue(change > 1e-3, "these images are not mirror-symmetric, so TTA must change them: " + change);
                }
            }
        }
    }
}
