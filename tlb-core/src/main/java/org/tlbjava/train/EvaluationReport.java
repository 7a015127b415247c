package org.tlbjava.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.tlbjava.io.AtomicFiles;

/**
 * What an evaluation reports, however it was computed (one process or Spark): counts, loss,
 * accuracy and the confusion matrix [true class][predicted class], as a text table and as the
 * fields of {@code --json}.
 */
public record EvaluationReport(int images, double loss, double accuracy, List<String> classes, long[][] confusion) {
    public static final String PICTURE = "confusion.png";
    public static final String COUNTS = "confusion.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static EvaluationReport of(Evaluation result, List<String> classes) {
        return new EvaluationReport(result.labels().length, result.loss(), result.accuracy(), classes,
                result.confusion(classes.size()));
    }

    /**
     * Writes the confusion matrix into {@code dir}: {@value #PICTURE}, titled with the run directory's
     * name, the split, its image count and the accuracy, so that the picture says which set it counts,
     * and {@value #COUNTS}, the same with the counts, which the run pages draw as a table. Returns the
     * picture.
     */
    public Path write(Path dir, Path run, String split) throws IOException {
        String name = run.toAbsolutePath().normalize().getFileName().toString();
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("run", name);
        counts.put("split", split);
        counts.putAll(json());
        AtomicFiles.writeString(dir.resolve(COUNTS), JSON.writeValueAsString(counts) + "\n");
        String title = String.format(Locale.ROOT, "%s, %s split: %d images, accuracy %.4f", name, split, images, accuracy);
        Path png = dir.resolve(PICTURE);
        AtomicFiles.write(png, stream -> ImageIO.write(ConfusionPicture.draw(classes, confusion, title), "png", stream));
        return png;
    }

    public double[] perClassAccuracy() {
        return Evaluation.perClassAccuracy(confusion);
    }

    /** "images N  loss L  accuracy A". */
    public String summary() {
        return String.format(Locale.ROOT, "%d images  loss %.4f  accuracy %.4f", images, loss, accuracy);
    }

    /**
     * The --json fields after the one naming the data: images, loss, accuracy, per_class (null for
     * a class with no images), classes, confusion.
     */
    public Map<String, Object> json() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("images", images);
        out.put("loss", loss);
        out.put("accuracy", accuracy);
        double[] perClass = perClassAccuracy();
        Map<String, Double> named = new LinkedHashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            named.put(classes.get(c), Double.isNaN(perClass[c]) ? null : perClass[c]); // null: no images of the class
        }
        out.put("per_class", named);
        out.put("classes", classes);
        out.put("confusion", confusion);
        return out;
    }

    /** The confusion matrix (rows: true class, columns: predicted) with each class's accuracy. */
    public String table() {
        double[] perClass = perClassAccuracy();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-12s", "true\\pred"));
        for (int c = 0; c < classes.size(); c++) {
            s.append(String.format(Locale.ROOT, "%6s", abbreviate(classes.get(c), 5)));
        }
        s.append("  accuracy\n");
        for (int t = 0; t < classes.size(); t++) {
            s.append(String.format(Locale.ROOT, "%-12s", abbreviate(classes.get(t), 12)));
            for (int p = 0; p < classes.size(); p++) {
                s.append(String.format(Locale.ROOT, "%6d", confusion[t][p]));
            }
            // a class with no images has no accuracy, not 0
            s.append(String.format(Locale.ROOT, "  %s%n", Double.isNaN(perClass[t]) ? "–"
                    : String.format(Locale.ROOT, "%.4f", perClass[t])));
        }
        return s.toString();
    }

    /** A class name cut to {@code width} characters, for tables and pictures. */
    public static String abbreviate(String name, int width) {
        return name.length() <= width ? name : name.substring(0, width);
    }
}
