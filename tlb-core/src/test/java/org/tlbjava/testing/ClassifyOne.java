package org.tlbjava.testing;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.tlbjava.explain.OnnxClassifier;
import org.tlbjava.explain.TlbClassifier;

/**
 * A program using tlb as a library, as a user's would: loads a run and classifies one blank image,
 * with PyTorch, or with ONNX Runtime when the second argument is {@code onnx}.
 */
public final class ClassifyOne {
    private ClassifyOne() {}

    public static void main(String[] args) {
        BufferedImage blank = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        try (TlbClassifier classifier = TlbClassifier.load(Path.of(args[0]))) {
            if (args.length > 1 && args[1].equals("onnx")) {
                try (OnnxClassifier onnx = classifier.onnxRuntime()) {
                    System.out.println(onnx.predictAll(List.of(blank)).get(0).className());
                }
            } else {
                System.out.println(classifier.predict(blank).className());
            }
        }
    }
}
