package org.tlbjava.cli;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.data.ImageFiles;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classify image files with a trained model: the top-K classes of each.",
            "Formats: " + ImageFiles.FORMAT_NAMES + ", any size up to the model config's max_image_pixels."})
final class PredictCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--top", paramLabel = "K", description = "Classes to show per image (default ${DEFAULT-VALUE}).", defaultValue = "3")
    int top;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image files; - reads one image from stdin.")
    List<Path> images;

    @Override
    public Integer call() {
        if (top <= 0) {
            throw new UsageException("--top must be positive, got " + top);
        }
        if (images.stream().filter(PredictCommand::isStdin).count() > 1) {
            throw new UsageException("- (stdin) may be given once: it holds one image");
        }
        int failed = 0;
        List<Map<String, Object>> results = new ArrayList<>();
        try (TlbClassifier classifier = TlbClassifier.load(modelOptions.model)) {
            for (Path file : images) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("file", file.toString());
                try {
                    long maxPixels = classifier.config().maxImagePixels;
                    BufferedImage image = isStdin(file) ? ImageFiles.read(System.in, "stdin", maxPixels)
                            : ImageFiles.read(file, maxPixels);
                    Prediction p = classifier.predict(image);
                    List<Map<String, Object>> ranked = new ArrayList<>();
                    StringBuilder line = new StringBuilder(file.toString()).append(':');
                    for (int c : p.top(top)) {
                        ranked.add(Map.of("class", classifier.classes().get(c), "probability", p.probabilities()[c]));
                        line.append(String.format(Locale.ROOT, "  %s %.4f", classifier.classes().get(c), p.probabilities()[c]));
                    }
                    entry.put("top", ranked);
                    System.out.println(line);
                } catch (TlbException e) {
                    failed++;
                    entry.put("error", e.getMessage());
                    System.err.println("tlb: error: " + e.getMessage());
                }
                results.add(entry);
            }
        }
        if (json) {
            System.out.println(Json.line(Map.of("predictions", results, "failed", failed)));
        }
        return failed == 0 ? 0 : 1;
    }

    private static boolean isStdin(Path file) {
        return file.toString().equals("-");
    }
}
