package org.tlbjava.cli;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.tlbjava.UsageException;
import org.tlbjava.data.ImageSet;
import org.tlbjava.explain.AttentionImages;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "attention", mixinStandardHelpOptions = true,
        description = "Draw the TLB attention map over chosen images, as the reference does (one PNG each, and a grid).")
final class AttentionCommand implements Callable<Integer> {
    private static final int ZOOM = 4;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SplitOptions splitOptions;

    @Option(names = "--count", paramLabel = "N", description = "The first N images of the split (default ${DEFAULT-VALUE}), unless --index is given.", defaultValue = "8")
    int count;

    @Option(names = "--index", paramLabel = "I", description = "Image index in the split (repeatable).")
    List<Integer> indices = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: RUN_DIR/attention).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path dir = out != null ? out : modelOptions.model.resolve("attention");
        try (TlbClassifier classifier = TlbClassifier.load(modelOptions.model)) {
            List<String> classes = classifier.classes();
            ImageSet set = splitOptions.load(classifier.config(), classes);
            int[] chosen = chosen(set.size());
            List<BufferedImage> images = new ArrayList<>();
            for (int i : chosen) {
                images.add(set.image(i));
            }
            List<TlbClassifier.Explanation> explained = classifier.explainAll(images);
            List<BufferedImage> overlays = new ArrayList<>();
            List<String> titles = new ArrayList<>();
            for (int i = 0; i < chosen.length; i++) {
                TlbClassifier.Explanation e = explained.get(i);
                BufferedImage pair = AttentionImages.sideBySide(e.input(), e.heat(), ZOOM);
                Path file = dir.resolve(String.format("%s-%05d.png", splitOptions.split, chosen[i]));
                AtomicFiles.write(file, stream -> ImageIO.write(pair, "png", stream));
                overlays.add(AttentionImages.overlay(e.input(), e.heat()));
                titles.add("true: " + classes.get(set.label(chosen[i])) + " / pred: " + e.prediction().className());
                System.out.println(file + "  " + titles.get(i));
            }
            BufferedImage grid = AttentionImages.grid(overlays, titles, 3);
            Path gridFile = dir.resolve("grid.png");
            AtomicFiles.write(gridFile, stream -> ImageIO.write(grid, "png", stream));
            System.out.println(gridFile);
        }
        return 0;
    }

    private int[] chosen(int size) {
        if (!indices.isEmpty()) {
            for (int i : indices) {
                if (i < 0 || i >= size) {
                    throw new UsageException("--index " + i + " is outside the " + splitOptions.split + " split (0.." + (size - 1) + ")");
                }
            }
            return indices.stream().mapToInt(Integer::intValue).toArray();
        }
        if (count <= 0) {
            throw new UsageException("--count must be positive, got " + count);
        }
        int n = Math.min(count, size);
        int[] first = new int[n];
        for (int i = 0; i < n; i++) {
            first[i] = i;
        }
        return first;
    }
}
