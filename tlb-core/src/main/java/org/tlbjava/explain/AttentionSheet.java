package org.tlbjava.explain;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.tlbjava.data.ImageSet;
import org.tlbjava.io.AtomicFiles;

/**
 * The attention pictures of some images, as {@code tlb attention} and the end of training draw
 * them: one PNG each (the image beside its heat map, enlarged) and {@code grid.png}, each picture
 * titled with its true class, when known, and the prediction, and each with the colour scale.
 */
public final class AttentionSheet {
    /** Enlargement of the per-image pictures: a 48-pixel image becomes 192 pixels wide. */
    private static final int ZOOM = 4;
    /** Enlargement of the grid's overlays. */
    private static final int GRID_ZOOM = 3;

    private AttentionSheet() {}

    /** One image to explain: where it came from, its picture's file name, and its true class (null when unknown). */
    public record Item(BufferedImage image, String source, String name, String trueClass) {}

    /** An explained image: its prediction, the title it was drawn with and its picture's file. */
    public record Explained(Item item, Prediction prediction, String title, Path file) {}

    /** Images of a split, by index, named {@code SPLIT-00042.png} and with their true classes. */
    public static List<Item> items(ImageSet set, int[] indices, String split) {
        List<Item> items = new ArrayList<>();
        for (int i : indices) {
            items.add(new Item(set.image(i), split + " image " + i, String.format(Locale.ROOT, "%s-%05d.png", split, i),
                    set.classes().get(set.label(i))));
        }
        return items;
    }

    /** Writes each item's picture and {@code grid.png} into {@code dir}. */
    public static List<Explained> write(TlbClassifier classifier, List<Item> items, Path dir) throws IOException {
        List<TlbClassifier.Explanation> explanations = classifier.explainAll(items.stream().map(Item::image).toList());
        List<Explained> explained = new ArrayList<>();
        List<BufferedImage> overlays = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            TlbClassifier.Explanation e = explanations.get(i);
            Item item = items.get(i);
            String predicted = e.prediction().className();
            String title = item.trueClass() != null ? "true: " + item.trueClass() + " / pred: " + predicted
                    : Path.of(item.source()).getFileName() + ": " + predicted;
            Path file = dir.resolve(item.name());
            BufferedImage pair = AttentionImages.sideBySide(e.input(), e.heat(), ZOOM, title);
            AtomicFiles.write(file, stream -> ImageIO.write(pair, "png", stream));
            overlays.add(AttentionImages.overlay(e.input(), e.heat()));
            explained.add(new Explained(item, e.prediction(), title, file));
        }
        BufferedImage grid = AttentionImages.grid(overlays, explained.stream().map(Explained::title).toList(), GRID_ZOOM);
        AtomicFiles.write(dir.resolve("grid.png"), stream -> ImageIO.write(grid, "png", stream));
        return explained;
    }

    /** The grid's file in {@code dir}. */
    public static Path grid(Path dir) {
        return dir.resolve("grid.png");
    }
}
