package org.tlbjava.testing;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.tlbjava.explain.TlbClassifier;

/** A program using tlb as a library, as a user's would: loads a run and classifies one blank image. */
public final class ClassifyOne {
    private ClassifyOne() {}

    public static void main(String[] args) {
        try (TlbClassifier classifier = TlbClassifier.load(Path.of(args[0]))) {
            System.out.println(classifier.predict(new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB)).className());
        }
    }
}
