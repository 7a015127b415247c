package org.tlbjava.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.tlbjava.UsageException;
import org.tlbjava.cli.TrainOptions;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataSource;
import org.tlbjava.model.EngineTuning;
import org.tlbjava.train.ConsoleProgress;
import org.tlbjava.train.Run;
import org.tlbjava.train.RunDirectory;
import org.tlbjava.train.Training;
import org.tlbjava.train.TrainingListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import scala.Function1;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train one run data-parallel over --tasks N Spark barrier tasks, each one worker with one engine"
            + " thread: the same run, history and model.params as tlb train --set workers=N, written by task 0 to --out"
            + " (a directory every executor can read, and task 0's can write). Or resume one with --resume.",
            "Options as tlb train's; every config key: tlb config."})
final class TrainCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    TrainOptions options;

    @Mixin
    SparkOptions sparkOptions;

    @Option(names = "--tasks", paramLabel = "N", description = "Barrier tasks, one worker each (config key workers);"
            + " required for a new run; with --resume, the run's own workers.")
    Integer tasks;

    /** How the tasks exchange gradients. */
    enum Exchange { direct, driver }

    @Option(names = "--exchange", paramLabel = "HOW", defaultValue = "direct", description = "How the tasks exchange"
            + " gradients: direct (default; over connections between the tasks, addresses exchanged through the"
            + " barrier) or driver (Spark's BarrierTaskContext.allGather, which answers in steps of a second).")
    Exchange exchange;

    @Override
    public Integer call() throws IOException {
        if (tasks != null && tasks < 1) {
            throw new UsageException("--tasks " + tasks + " must be at least 1");
        }
        String remoteData = HadoopData.isUri(options.data()) ? options.data() : null;
        if (remoteData != null) {
            Path copy = HadoopData.localCopy(remoteData, HadoopData.configuration());
            HadoopData.copy(remoteData, copy, HadoopData.configuration());
            options.readDataFrom(copy.toString());
            System.out.println("Data: " + remoteData + " is read from " + copy + ", a copy on each machine");
        }
        String dataCopy = remoteData == null ? null : options.data();
        if (options.resume() != null) {
            return options.report(resume(remoteData, dataCopy));
        }
        if (tasks == null) {
            throw new UsageException("--tasks N is required: the number of Spark tasks training the run together");
        }
        var layers = options.layers();
        layers.set("workers", tasks, "--tasks " + tasks);
        TrainOptions.NewRun run = options.newRun(layers);
        DataSource data = DataSource.at(Path.of(run.data().path())); // absolute: executors read it at the same path
        Path out = run.out().toAbsolutePath().normalize();
        return options.report(Training.start(run.config(), run.batch(), data, out,
                dir -> train(dir, new Member(dir.toString(), null, null, false, exchange == Exchange.direct, remoteData, dataCopy)),
                ConsoleProgress.console()));
    }

    private Run resume(String remoteData, String dataCopy) throws IOException {
        Training.Resume how = options.resumeHow();
        Path dir = options.resume().toAbsolutePath().normalize();
        int workers = new RunDirectory(dir).readConfig().train().workers();
        if (tasks != null && tasks != workers) {
            throw new UsageException("--tasks " + tasks + ": the run in " + dir + " trains with workers=" + workers
                    + ", one task each; leave --tasks out to resume it");
        }
        return train(dir, new Member(dir.toString(), how.epochs(), how.data() == null ? null : how.data().path(),
                how.force(), exchange == Exchange.direct, remoteData, dataCopy));
    }

    /**
     * Trains the run in {@code dir} on one barrier stage of as many tasks as its workers. The
     * stage is a shuffle map stage (a shuffle follows it), the kind Spark retries whole when a
     * task fails: each retry resumes from the last checkpoint. Prints what the exchange cost.
     */
    private Run train(Path dir, Member member) throws IOException {
        RunConfig config = new RunDirectory(dir).readConfig();
        int workers = config.train().workers();
        if (workers < 1) {
            throw new UsageException("the run in " + dir + " has workers=0 (one per core); tlb-spark trains a run of"
                    + " a fixed number of workers, one task each");
        }
        List<BarrierWorkerGroup.Report> reports;
        try (SparkOptions.Session session = sparkOptions.start("tlb-spark train")) {
            JavaSparkContext spark = new JavaSparkContext(session.spark().sparkContext());
            requireSlots(spark, workers);
            String interrupt = spark.getLocalProperty(INTERRUPT_ON_CANCEL);
            spark.setLocalProperty(INTERRUPT_ON_CANCEL, "true"); // a failed attempt's other tasks stop at once
            try {
                reports = spark.parallelize(IntStream.range(0, workers).boxed().toList(), workers).rdd().barrier()
                        .mapPartitions(member, false, ClassTag$.MODULE$.apply(BarrierWorkerGroup.Report.class))
                        .toJavaRDD().repartition(1).collect();
            } finally {
                spark.setLocalProperty(INTERRUPT_ON_CANCEL, interrupt);
            }
        }
        reports.stream().filter(r -> r.rank() == 0).findFirst()
                .ifPresent(r -> System.out.println("Exchange (" + (member.direct() ? "direct between the tasks"
                        : "allGather through the driver") + ", " + r.tasks() + " tasks): " + r.describe()));
        int epochs = member.epochs() != null ? member.epochs() : config.train().epochs();
        return new Run(dir, new RunDirectory(dir).readHistory(), epochs);
    }

    private static final String INTERRUPT_ON_CANCEL = "spark.job.interruptOnCancel";

    /**
     * A barrier stage needs all its tasks running at once; a local master with fewer cores would
     * have Spark retry the stage for minutes before failing, so that is refused here.
     */
    private static void requireSlots(JavaSparkContext spark, int workers) {
        String master = spark.master();
        if (SparkOptions.isLocal(master) && spark.defaultParallelism() < workers) {
            throw new UsageException("--tasks " + workers + " needs " + workers + " task slots at once, and --master "
                    + master + " has " + spark.defaultParallelism() + "; use --master local[" + workers + "]");
        }
    }

    /**
     * What each task runs: the run in {@code dir} resumed as one worker of the stage's tasks; a
     * Hadoop --data {@code remoteData} is first copied to {@code dataCopy} on the task's machine.
     */
    record Member(String dir, Integer epochs, String data, boolean force, boolean direct, String remoteData,
            String dataCopy)
            implements Function1<Iterator<Integer>, Iterator<BarrierWorkerGroup.Report>>, Serializable {
        @Override
        public Iterator<BarrierWorkerGroup.Report> apply(Iterator<Integer> partition) {
            if (remoteData != null) {
                HadoopData.copy(remoteData, Path.of(dataCopy), HadoopData.configuration());
            }
            int engineThreads = EngineTuning.setThreads(1); // one core per task, as one worker thread of tlb train has
            try (BarrierWorkerGroup group = new BarrierWorkerGroup(BarrierTaskContext.get(), direct)) {
                List<TrainingListener> listeners = new ArrayList<>(List.of(group));
                if (group.rank() == 0) {
                    listeners.add(ConsoleProgress.console());
                }
                Training.resume(Path.of(dir), new Training.Resume(epochs, data == null ? null : new DataSource(data), force),
                        group, listeners.toArray(new TrainingListener[0]));
                return CollectionConverters.asScala(List.of(group.report()).iterator());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                EngineTuning.setThreads(engineThreads);
            }
        }
    }
}
