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
import org.tlbjava.io.Csv;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classify image files with a trained model: the top-K classes of each.",
            "Formats: " + ImageFiles.FORMAT_NAMES + ", any size up to the model config's max_image_pixels.",
            "Exit code: 0 when every image was classified; 1 when any could not be read (the others are",
            "still classified and printed), or with --skip-bad only when none could; 2 for bad usage."})
final class PredictCommand implements Callable<Integer> {
    /** Images decoded and classified together: batches are faster than one at a time, and hold little memory. */
    private static final int BATCH = 32;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--top", paramLabel = "K", description = "Classes to show per image (default ${DEFAULT-VALUE}).", defaultValue = "3")
    int top;

    @Option(names = "--csv", description = "Print CSV (file, class_1, probability_1, … class_K, probability_K, error) instead of text.")
    boolean csv;

    @Option(names = "--skip-bad", description = "Warn about files that cannot be read and exit 0 when at least one image was classified.")
    boolean skipBad;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = {"Image files, directories (every image under them,"
        + " recursively) or quoted globs such as 'photos/**.jpg'; - reads one image from stdin."})
    List<Path> images;

    /** Classes in each CSV row: --top, or fewer when the model has fewer classes. */
    private int columns;

    @Override
    public Integer call() {
        if (top <= 0) {
            throw new UsageException("--top must be positive, got " + top);
        }
        if (csv && json) {
            throw new UsageException("--csv and --json both choose the output; give one");
        }
        if (images.stream().filter(PredictCommand::isStdin).count() > 1) {
            throw new UsageException("- (stdin) may be given once: it holds one image");
        }
        List<Map<String, Object>> results = new ArrayList<>();
        int failed = 0;
        try (TlbClassifier classifier = TlbClassifier.load(modelOptions.model)) {
            columns = Math.min(top, classifier.classes().size());
            if (csv) {
                System.out.println(csvHeader(columns));
            }
            List<Path> files = new ArrayList<>();
            for (Path argument : images) {
                try {
                    files.addAll(ImageFiles.expand(argument));
                } catch (TlbException e) {
                    failed++;
                    results.add(failure(argument, e));
                }
            }
            for (int from = 0; from < files.size(); from += BATCH) {
                failed += classify(classifier, files.subList(from, Math.min(files.size(), from + BATCH)), results);
            }
        }
        int classified = results.size() - failed;
        if (json) {
            System.out.println(Json.line(Map.of("predictions", results, "failed", failed)));
        }
        if (failed > 0) {
            System.err.printf(Locale.ROOT, "tlb: %d of %d inputs could not be read%s%n", failed, results.size(),
                    skipBad ? " and were skipped" : "; exit code 1 (--skip-bad exits 0 when any image was classified)");
        }
        return failed == 0 || (skipBad && classified > 0) ? 0 : 1;
    }

    /** Reads and classifies one batch of files, adding an entry per file; returns how many failed. */
    private int classify(TlbClassifier classifier, List<Path> files, List<Map<String, Object>> results) {
        long maxPixels = classifier.config().data().maxImagePixels();
        List<BufferedImage> decoded = new ArrayList<>();
        List<Map<String, Object>> entries = new ArrayList<>();
        int failed = 0;
        for (Path file : files) {
            try {
                decoded.add(isStdin(file) ? ImageFiles.read(System.in, "stdin", maxPixels) : ImageFiles.read(file, maxPixels));
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("file", file.toString());
                entries.add(entry);
                results.add(entry);
            } catch (TlbException e) {
                failed++;
                results.add(failure(file, e));
            }
        }
        List<Prediction> predictions = decoded.isEmpty() ? List.of() : classifier.predictAll(decoded);
        for (int i = 0; i < predictions.size(); i++) {
            Map<String, Object> entry = entries.get(i);
            List<Map<String, Object>> ranked = new ArrayList<>();
            for (int c : predictions.get(i).top(top)) {
                ranked.add(Map.of("class", classifier.classes().get(c), "probability", predictions.get(i).probabilities()[c]));
            }
            entry.put("top", ranked);
            System.out.println(csv ? csvRow(entry.get("file").toString(), ranked, "") : textLine(entry.get("file").toString(), ranked));
        }
        return failed;
    }

    private Map<String, Object> failure(Path file, TlbException e) {
        String message = e.getMessage();
        System.err.println((skipBad ? "warning: skipping " : "tlb: error: ") + message);
        if (csv) {
            System.out.println(csvRow(file.toString(), List.of(), message));
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("file", file.toString());
        entry.put("error", message);
        return entry;
    }

    private static String textLine(String file, List<Map<String, Object>> ranked) {
        StringBuilder line = new StringBuilder(file).append(':');
        for (Map<String, Object> r : ranked) {
            line.append(String.format(Locale.ROOT, "  %s %.4f", r.get("class"), (Float) r.get("probability")));
        }
        return line.toString();
    }

    private static String csvHeader(int k) {
        StringBuilder header = new StringBuilder("file");
        for (int i = 1; i <= k; i++) {
            header.append(",class_").append(i).append(",probability_").append(i);
        }
        return header.append(",error").toString();
    }

    private String csvRow(String file, List<Map<String, Object>> ranked, String error) {
        StringBuilder row = new StringBuilder(Csv.field(file));
        for (int i = 0; i < ranked.size(); i++) {
            row.append(',').append(Csv.field(ranked.get(i).get("class").toString()))
                    .append(String.format(Locale.ROOT, ",%.6f", (Float) ranked.get(i).get("probability")));
        }
        for (int i = ranked.size(); i < columns; i++) {
            row.append(",,");
        }
        return row.append(',').append(Csv.field(error)).toString();
    }

    private static boolean isStdin(Path file) {
        return file.toString().equals("-");
    }

}
