package org.tlbjava.cli;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.tlbjava.UsageException;
import org.tlbjava.data.ImageFiles;
import org.tlbjava.data.ImageSet;
import org.tlbjava.explain.AttentionSheet;
import org.tlbjava.explain.AttentionSheet.Item;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.io.Csv;
import org.tlbjava.serve.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "attention", mixinStandardHelpOptions = true,
        description = {"Draw the TLB attention map over image files or split images, as the reference does.",
            "Writes one PNG each (named after its file, or SPLIT-INDEX.png), a grid, and index.csv mapping each",
            "PNG to its source, true class (split images) and prediction."})
final class AttentionCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SplitOptions splitOptions;

    @Option(names = "--count", paramLabel = "N", description = "The first N images of the split (default ${DEFAULT-VALUE}), unless --index or IMAGE is given.", defaultValue = "8")
    int count;

    @Option(names = "--index", paramLabel = "I", description = "Image index in the split (repeatable).")
    List<Integer> indices = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: RUN_DIR/attention).")
    Path out;

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "Image files or directories (every image under them) to explain instead of split images.")
    List<Path> files = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Path dir = out != null ? out : modelOptions.run().resolve("attention");
        try (TlbClassifier classifier = TlbClassifier.load(modelOptions.model)) {
            List<Item> items = files.isEmpty() ? splitItems(classifier) : fileItems(classifier);
            StringBuilder index = new StringBuilder("output,source,true_class,predicted,probability\n");
            for (AttentionSheet.Explained e : AttentionSheet.write(classifier, items, dir)) {
                Item item = e.item();
                index.append(String.join(",", Csv.field(item.name()), Csv.field(item.source()),
                        item.trueClass() == null ? "" : item.trueClass(), e.prediction().className(),
                        String.format(Locale.ROOT, "%.6f", e.prediction().probability()))).append('\n');
                System.out.println(e.file() + "  " + item.source() + "  "
                        + (item.trueClass() != null ? e.title() : "pred: " + e.prediction().className()));
            }
            Path indexFile = dir.resolve("index.csv");
            AtomicFiles.write(indexFile, stream -> stream.write(index.toString().getBytes(StandardCharsets.UTF_8)));
            System.out.println(AttentionSheet.grid(dir));
            System.out.println(indexFile);
        }
        if (out == null) {
            RunReport.writeAfterTraining(modelOptions.run(), System.out::println);
        }
        return 0;
    }

    private List<Item> fileItems(TlbClassifier classifier) {
        if (!indices.isEmpty() || splitOptions.data != null) {
            throw new UsageException("IMAGE files are explained as they are; --index and --data choose split images instead");
        }
        List<Path> paths = new ArrayList<>();
        files.forEach(f -> paths.addAll(ImageFiles.expand(f)));
        Set<String> names = new HashSet<>();
        List<Item> items = new ArrayList<>();
        for (Path path : paths) {
            BufferedImage image = ImageFiles.read(path, classifier.config().data().maxImagePixels());
            items.add(new Item(image, path.toString(), uniqueName(path, names), null));
        }
        return items;
    }

    /** The file's name with .png for its extension; "-2", "-3" … added when two files share a name. */
    private static String uniqueName(Path path, Set<String> taken) {
        String fileName = path.getFileName().toString();
        int dot = fileName.lastIndexOf('.');
        String stem = dot > 0 ? fileName.substring(0, dot) : fileName;
        String name = stem + ".png";
        for (int n = 2; !taken.add(name) || name.equals("grid.png"); n++) {
            name = stem + "-" + n + ".png";
        }
        return name;
    }

    private List<Item> splitItems(TlbClassifier classifier) {
        ImageSet set = splitOptions.load(classifier.config(), classifier.classes(), modelOptions.run(), System.out::println);
        return AttentionSheet.items(set, chosen(set.size()), splitOptions.split);
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
