package org.tlbjava.cli;

import ai.djl.ndarray.NDManager;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.tlbjava.UsageException;
import org.tlbjava.data.ImageSet;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.model.SavedModel;
import org.tlbjava.model.TlbModel;
import org.tlbjava.train.DataParallel;
import org.tlbjava.train.Evaluation;
import org.tlbjava.train.EvaluationReport;
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

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (batchSize <= 0) {
            throw new UsageException("--batch-size must be positive, got " + batchSize);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = SavedModel.load(modelOptions.model, manager);
            List<String> classes = SavedModel.readClasses(modelOptions.model);
            ImageSet set = splitOptions.load(model.config(), classes);
            int batches = (set.size() + batchSize - 1) / batchSize;
            ProgressBar bar = new ProgressBar(System.out, ProgressBar.stdoutIsTerminal(), batches, 10);
            Evaluation result;
            try (DataParallel workers = new DataParallel(model, manager, model.config().workers)) {
                result = Evaluation.run(workers, manager, set, batchSize, done -> bar.update(done, ""));
            }
            bar.finish();
            EvaluationReport report = EvaluationReport.of(result, classes);
            System.out.println(splitOptions.split + " split: " + report.summary());
            System.out.println(report.table());
            Path png = (out != null ? out : modelOptions.model).resolve("confusion.png");
            AtomicFiles.write(png, stream -> ImageIO.write(picture(classes, report.confusion()), "png", stream));
            System.out.println("Confusion matrix image: " + png);
            if (json) {
                Map<String, Object> outJson = new LinkedHashMap<>();
                outJson.put("split", splitOptions.split);
                outJson.putAll(report.json());
                System.out.println(Json.line(outJson));
            }
        }
        return 0;
    }

    /** A heat-map picture of the confusion matrix, row-normalised, with counts. */
    static BufferedImage picture(List<String> classes, long[][] confusion) {
        int n = classes.size();
        int cell = 44;
        int margin = 90;
        BufferedImage img = new BufferedImage(margin + n * cell + 10, margin + n * cell + 10, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        for (int t = 0; t < n; t++) {
            long total = 0;
            for (long v : confusion[t]) {
                total += v;
            }
            g.setColor(Color.BLACK);
            g.drawString(EvaluationReport.abbreviate(classes.get(t), 12), 4, margin + t * cell + cell / 2 + 4);
            g.drawString(EvaluationReport.abbreviate(classes.get(t), 7), margin + t * cell + 2, margin - 6);
            for (int p = 0; p < n; p++) {
                double share = total == 0 ? 0 : (double) confusion[t][p] / total;
                int shade = (int) Math.round(255 * (1 - share));
                g.setColor(new Color(shade, shade, 255));
                g.fillRect(margin + p * cell, margin + t * cell, cell - 1, cell - 1);
                g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                g.drawString(Long.toString(confusion[t][p]), margin + p * cell + 6, margin + t * cell + cell / 2 + 4);
            }
        }
        g.setColor(Color.BLACK);
        g.drawString("rows: true class, columns: predicted", 4, 14);
        g.dispose();
        return img;
    }
}
