package org.tlbjava.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.tlbjava.UsageException;
import org.tlbjava.data.ImageSet;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.model.SavedModel;
import org.tlbjava.model.TlbModel;
import org.tlbjava.train.ConfusionPicture;
import org.tlbjava.train.DataParallel;
import org.tlbjava.train.Evaluation;
import org.tlbjava.train.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Loss, accuracy, per-class accuracy and confusion matrix of a trained model on a split.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SplitOptions splitOptions;

    @Option(names = "--batch-size", description = "Images per batch (default ${DEFAULT-VALUE}).", defaultValue = "256")
    int batchSize;

    @Option(names = "--out", paramLabel = "DIR", description = "Where confusion.png goes (default: the run directory).")
    Path out;

    @Option(names = "--tta-flip", arity = "1", paramLabel = "true|false",
            description = "Average each image's prediction with its mirror image's (default: the run's tta_flip).")
    Boolean ttaFlip;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (batchSize <= 0) {
            throw new UsageException("--batch-size must be positive, got " + batchSize);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = SavedModel.load(modelOptions.model, manager);
            List<String> classes = SavedModel.readClasses(modelOptions.run());
            ImageSet set = splitOptions.load(model.config(), classes);
            int batches = (set.size() + batchSize - 1) / batchSize;
            boolean flip = ttaFlip != null ? ttaFlip : model.config().ttaFlip;
            ProgressBar bar = new ProgressBar(System.out, ProgressBar.stdoutIsTerminal(), batches, 10);
            Evaluation result;
            try (DataParallel workers = new DataParallel(model, manager, model.config().workers)) {
                result = Evaluation.run(workers, manager, set, batchSize, flip, done -> bar.update(done, ""));
            }
            bar.finish();
            long[][] confusion = result.confusion(classes.size());
            double[] perClass = result.perClassAccuracy(classes.size());
            System.out.printf(Locale.ROOT, "%s split: %d images  loss %.4f  accuracy %.4f%s%n", splitOptions.split,
                    set.size(), result.loss(), result.accuracy(), flip ? "  (flip TTA: mean of each image and its mirror)" : "");
            System.out.println(table(classes, confusion, perClass));
            Path png = (out != null ? out : modelOptions.run()).resolve("confusion.png");
            String title = String.format(Locale.ROOT, "%s, %s split: %d images, accuracy %.4f",
                    modelOptions.run().toAbsolutePath().normalize().getFileName(), splitOptions.split, set.size(), result.accuracy());
            AtomicFiles.write(png, stream -> ImageIO.write(ConfusionPicture.draw(classes, confusion, title), "png", stream));
            System.out.println("Confusion matrix image: " + png);
            if (json) {
                Map<String, Object> outJson = new LinkedHashMap<>();
                outJson.put("split", splitOptions.split);
                outJson.put("images", set.size());
                outJson.put("loss", result.loss());
                outJson.put("accuracy", result.accuracy());
                outJson.put("tta_flip", flip);
                Map<String, Double> named = new LinkedHashMap<>();
                for (int c = 0; c < classes.size(); c++) {
                    named.put(classes.get(c), perClass[c]);
                }
                outJson.put("per_class", named);
                outJson.put("classes", classes);
                outJson.put("confusion", confusion);
                System.out.println(Json.line(outJson));
            }
        }
        return 0;
    }

    /** The confusion matrix (rows: true class, columns: predicted) with each class's accuracy. */
    static String table(List<String> classes, long[][] confusion, double[] perClass) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-12s", "true\\pred"));
        for (int c = 0; c < classes.size(); c++) {
            s.append(String.format(Locale.ROOT, "%6s", abbreviate(classes.get(c))));
        }
        s.append("  accuracy\n");
        for (int t = 0; t < classes.size(); t++) {
            s.append(String.format(Locale.ROOT, "%-12s", abbreviate(classes.get(t), 12)));
            for (int p = 0; p < classes.size(); p++) {
                s.append(String.format(Locale.ROOT, "%6d", confusion[t][p]));
            }
            s.append(String.format(Locale.ROOT, "  %.4f%n", perClass[t]));
        }
        return s.toString();
    }

    private static String abbreviate(String name) {
        return abbreviate(name, 5);
    }

    private static String abbreviate(String name, int width) {
        return name.length() <= width ? name : name.substring(0, width);
    }
}
