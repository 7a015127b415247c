package org.tlbjava.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.UsageException;
import org.tlbjava.data.ImageSet;
import org.tlbjava.model.SavedModel;
import org.tlbjava.model.TlbModel;
import org.tlbjava.serve.RunReport;
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

    @Option(names = "--out", paramLabel = "DIR", description = "Where confusion.png and confusion.json go (default: the run directory).")
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
            ImageSet set = splitOptions.load(model.config(), classes, modelOptions.run(), System.out::println);
            int batches = (set.size() + batchSize - 1) / batchSize;
            boolean flip = ttaFlip != null ? ttaFlip : model.config().model().ttaFlip();
            ProgressBar bar = new ProgressBar(System.err, ProgressBar.stderrIsTerminal(), batches, 10);
            Evaluation result;
            try (DataParallel workers = new DataParallel(model, manager, model.config().train().workers())) {
                result = Evaluation.run(workers, manager, set, batchSize, flip, done -> bar.update(done, ""));
            }
            bar.finish();
            EvaluationReport report = EvaluationReport.of(result, classes);
            System.out.println(splitOptions.split + " split: " + report.summary()
                    + (flip ? "  (flip TTA: mean of each image and its mirror)" : ""));
            System.out.println(report.table());
            Path png = report.write(out != null ? out : modelOptions.run(), modelOptions.run(), splitOptions.split);
            System.out.println("Confusion matrix image: " + png);
            if (out == null) {
                RunReport.writeAfterTraining(modelOptions.run(), System.out::println);
            }
            if (json) {
                Map<String, Object> outJson = new LinkedHashMap<>();
                outJson.put("split", splitOptions.split);
                outJson.putAll(report.json());
                outJson.put("tta_flip", flip);
                System.out.println(Json.line(outJson));
            }
        }
        return 0;
    }
}
