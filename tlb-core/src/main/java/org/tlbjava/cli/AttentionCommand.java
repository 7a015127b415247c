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
import javax.imageio.ImageIO;
import org.tlbjava.UsageException;
import org.tlbjava.data.ImageFiles;
import org.tlbjava.data.ImageSet;
import org.tlbjava.explain.AttentionImages;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "attention", mixinStandardHelpOptions = true,
        description = {"Draw the TLB attention map over image files or split images, as the reference does.",
            "Writes one PNG each (named after its file, or SPLIT-INDEX.png), a grid, and index.csv mapping each",
            "PNG to its source, true class (split images) and prediction."})
final class AttentionCommand implements Callable<Integer> {
    private static final int ZOOM = 4;

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

    /** One image to explain: the picture, where it came from, its PNG's name and its true class (null: unknown). */
    private record Item(BufferedImage image, String source, String name, String trueClass) {}

    @Override
    public Integer call() throws Exception {
        Path dir = out != null ? out : modelOptions.run().resolve("attention");
        try (TlbClassifier classifier = TlbClassifier.load(modelOptions.model)) {
            List<Item> items = files.isEmpty() ? splitItems(classifier) : fileItems(classifier);
            List<BufferedImage> images = items.stream().map(Item::image).toList();
            List<TlbClassifier.Explanation> explained = classifier.explainAll(images);
            List<BufferedImage> overlays = new ArrayList<>();
            List<String> titles = new ArrayList<>();
            StringBuilder index = new StringBuilder("output,source,true_class,predicted,probability\n");
            for (int i = 0; i < items.size(); i++) {
                TlbClassifier.Explanation e = explained.get(i);
                Item item = items.get(i);
                BufferedImage pair = AttentionImages.sideBySide(e.input(), e.heat(), ZOOM);
                Path file = dir.resolve(item.name());
                AtomicFiles.write(file, stream -> ImageIO.write(pair, "png", stream));
                overlays.add(AttentionImages.overlay(e.input(), e.heat()));
                String predicted = e.prediction().className();
                titles.add(item.trueClass() != null ? "true: " + item.trueClass() + " / pred: " + predicted
                        : Path.of(item.source()).getFileName() + ": " + predicted);
                index.append(String.join(",", Csv.field(item.name()), Csv.field(item.source()),
                        item.trueClass() == null ? "" : item.trueClass(), predicted,
                        String.format(Locale.ROOT, "%.6f", e.prediction().probability()))).append('\n');
                System.out.println(file + "  " + item.source() + "  "
                        + (item.trueClass() != null ? titles.get(i) : "pred: " + predicted));
            }
            BufferedImage grid = AttentionImages.grid(overlays, titles, 3);
            Path gridFile = dir.resolve("grid.png");
            AtomicFiles.write(gridFile, stream -> ImageIO.write(grid, "png", stream));
            Path indexFile = dir.resolve("index.csv");
            AtomicFiles.write(indexFile, stream -> stream.write(index.toString().getBytes(StandardCharsets.UTF_8)));
            System.out.println(gridFile);
            System.out.println(indexFile);
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
        List<String> classes = classifier.classes();
        ImageSet set = splitOptions.load(classifier.config(), classes);
        List<Item> items = new ArrayList<>();
        for (int i : chosen(set.size())) {
            String name = String.format(Locale.ROOT, "%s-%05d.png", splitOptions.split, i);
            items.add(new Item(set.image(i), splitOptions.split + " image " + i, name, classes.get(set.label(i))));
        }
        return items;
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
