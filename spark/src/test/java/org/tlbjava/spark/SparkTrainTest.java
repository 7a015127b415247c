package org.tlbjava.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.testing.Synthetic;

/**
 * {@code tlb-spark train} on local[2] against {@code tlb train --set workers=2} with the same
 * settings: the same run, bit for bit; the same run again when Spark kills one of its tasks
 * mid-epoch and retries the barrier stage; tlb's one-line errors for bad options.
 */
class SparkTrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * A tiny network on 64 images: 4 steps an epoch of 16 images in micro-batches of 4, so each
     * worker computes two of every step's four; dropout, clipping and the weight average on.
     */
    private static final List<String> SETTINGS = List.of("embed_dim=16", "key_dim=16", "num_layers=2",
            "train_limit=64", "val_limit=40", "train_slice=160", "batch_size=16", "micro_batch_size=4",
            "ffn_drop=0.1", "attn_drop=0.1", "grad_clip_norm=1.0", "ema_decay=0.9", "mixed_precision=false");

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path data;
    /** The run of tlb train --set workers=2, epochs=2. */
    static Path threads;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("tlb-spark train tests")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false").getOrCreate();
        data = Synthetic.cifarDir(tmp.resolve("data"), 40, false).getParent();
        threads = tmp.resolve("threads");
        assertEquals(0, org.tlbjava.cli.Main.execute(args("train", "--out", threads, "--epochs", 2, "--set", "workers=2")));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The command's arguments: {@code first}, then --data and the settings as --set. */
    private static String[] args(Object... first) {
        List<String> args = new ArrayList<>();
        for (Object a : first) {
            args.add(a.toString());
        }
        args.addAll(List.of("--data", data.toString()));
        SETTINGS.forEach(s -> args.addAll(List.of("--set", s)));
        return args.toArray(new String[0]);
    }

    @Test
    void twoTasksTrainAsTwoWorkerThreadsDo() throws Exception {
        Path tasks = tmp.resolve("tasks");
        SparkCommandsTest.Result r = SparkCommandsTest.tlbSpark(args("train", "--tasks", 2, "--out", tasks, "--epochs", 2,
                "--json"));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Exchange (direct between the tasks, 2 tasks): 8 steps;"), r.out());
        assertEquals(JSON.readTree(threads.resolve("config.json").toFile()), JSON.readTree(tasks.resolve("config.json").toFile()));
        assertEquals(withoutSeconds(threads), withoutSeconds(tasks));
        assertArrayEquals(Files.readAllBytes(threads.resolve("model.params")), Files.readAllBytes(tasks.resolve("model.params")));
        assertEquals(2, r.json().get("epochs").asInt());
        // an ordinary run directory: tlb evaluates it
        assertEquals(0, org.tlbjava.cli.Main.execute("evaluate", "--model", tasks.toString(), "--data", data.toString()));
    }

    /**
     * --data as a URI goes through Hadoop's file system (file: here; hdfs: and s3a: the same way):
     * each machine trains on one local copy, the same run as from the local path, and a second
     * run reuses the copy. A URI that names nothing is tlb's one line, exit 1.
     */
    @Test
    void dataOnAHadoopFileSystemIsCopiedOnceAndTrainsTheSameRun() throws Exception {
        String uri = data.toUri().toString();
        String[] withUri = args("train", "--tasks", 2, "--epochs", 2, "--out", tmp.resolve("hadoop-data"));
        withUri[List.of(withUri).indexOf("--data") + 1] = uri;
        SparkCommandsTest.Result r = SparkCommandsTest.tlbSpark(withUri);
        assertEquals(0, r.code(), r.out() + r.err());
        String said = r.out().lines().filter(l -> l.startsWith("Data: " + uri + " is read from ")).findFirst()
                .orElseThrow(() -> new AssertionError(r.out()));
        Path copy = Path.of(said.substring(said.indexOf(" is read from ") + 14, said.indexOf(", a copy")));
        assertTrue(Files.isRegularFile(copy.resolve("cifar-10-batches-bin/data_batch_1.bin")), copy.toString());
        assertFalse(copy.startsWith(data), "a copy, not the data itself");
        assertEquals(withoutSeconds(threads), withoutSeconds(tmp.resolve("hadoop-data")));
        assertArrayEquals(Files.readAllBytes(threads.resolve("model.params")),
                Files.readAllBytes(tmp.resolve("hadoop-data/model.params")));
        long copied = Files.getLastModifiedTime(copy).toMillis();
        withUri[List.of(withUri).indexOf("--out") + 1] = tmp.resolve("hadoop-data-again").toString();
        withUri[List.of(withUri).indexOf("--epochs") + 1] = "1";
        assertEquals(0, SparkCommandsTest.tlbSpark(withUri).code());
        assertEquals(copied, Files.getLastModifiedTime(copy).toMillis(), "the copy is reused");
        org.tlbjava.io.AtomicFiles.deleteTree(copy.getParent());
        SparkCommandsTest.Result nothing = SparkCommandsTest.tlbSpark("train", "--tasks", "2", "--out",
                tmp.resolve("never-uri").toString(), "--data", tmp.resolve("no-such-data").toUri().toString());
        assertEquals(1, nothing.code(), nothing.out() + nothing.err());
        assertEquals("tlb-spark: error: --data " + tmp.resolve("no-such-data").toUri() + ": no such file or directory",
                nothing.err().strip());
        SparkCommandsTest.Result noConnector = SparkCommandsTest.tlbSpark("train", "--tasks", "2", "--out",
                tmp.resolve("never-uri").toString(), "--data", "s3a://bucket/cifar");
        assertEquals(1, noConnector.code(), noConnector.out() + noConnector.err());
        assertTrue(noConnector.err().startsWith("tlb-spark: error: --data s3a://bucket/cifar: this Spark has no connector"
                + " for 's3a:'"), noConnector.err());
        assertEquals(1, noConnector.err().strip().lines().count(), noConnector.err());
        assertFalse(Files.exists(tmp.resolve("never-uri")));
    }

    /** Through the driver (Spark's allGather), the same run again: the exchange changes no number. */
    @Test
    void twoTasksExchangingThroughTheDriverTrainTheSameRun() throws Exception {
        Path tasks = tmp.resolve("driver");
        SparkCommandsTest.Result r = SparkCommandsTest.tlbSpark(args("train", "--tasks", 2, "--out", tasks, "--epochs", 2,
                "--exchange", "driver"));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Exchange (allGather through the driver, 2 tasks): 8 steps;"), r.out());
        assertEquals(withoutSeconds(threads), withoutSeconds(tasks));
        assertArrayEquals(Files.readAllBytes(threads.resolve("model.params")), Files.readAllBytes(tasks.resolve("model.params")));
    }

    /**
     * A run's directory is all there is to it: tlb-spark resumes a run tlb trained (as after a
     * killed driver: config, checkpoint, history) exactly as tlb does.
     */
    @Test
    void tlbSparkResumesARunAsTlbDoes() throws Exception {
        Path bySpark = copy(threads, tmp.resolve("resumed-by-spark"));
        Path byTlb = copy(threads, tmp.resolve("resumed-by-tlb"));
        SparkCommandsTest.Result r = SparkCommandsTest.tlbSpark("train", "--resume", bySpark.toString(), "--epochs", "3");
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(0, org.tlbjava.cli.Main.execute("train", "--resume", byTlb.toString(), "--epochs", "3"));
        assertTrue(Files.readString(bySpark.resolve("train.log")).contains("Resuming " + bySpark + " after epoch 2 of 3"));
        assertEquals(withoutSeconds(byTlb, 3), withoutSeconds(bySpark, 3));
        assertArrayEquals(Files.readAllBytes(byTlb.resolve("model.params")), Files.readAllBytes(bySpark.resolve("model.params")));
        SparkCommandsTest.Result otherTasks = SparkCommandsTest.tlbSpark("train", "--resume", bySpark.toString(), "--tasks", "1");
        assertEquals(2, otherTasks.code(), otherTasks.err());
        assertTrue(otherTasks.err().startsWith("tlb-spark: error: --tasks 1: the run in " + bySpark + " trains with workers=2"),
                otherTasks.err());
    }

    private static Path copy(Path run, Path to) throws Exception {
        try (var files = Files.walk(run)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(run.relativize(f).toString()));
            }
        }
        return to;
    }

    @Test
    void aTaskKilledMidEpochFailsTheStageWhichResumesFromTheCheckpointToTheSameRun() throws Exception {
        Path tasks = tmp.resolve("killed");
        Set<Long> running = ConcurrentHashMap.newKeySet();
        Set<Integer> attempts = ConcurrentHashMap.newKeySet();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart start) {
                running.add(start.taskInfo().taskId());
                attempts.add(start.stageAttemptId());
            }
        };
        spark.sparkContext().addSparkListener(listener);
        Thread killer = new Thread(() -> {
            try {
                while (!Files.exists(tasks.resolve("checkpoint.bin"))) { // epoch 1 is done; epoch 2 has begun
                    Thread.sleep(20);
                }
                long victim = running.stream().mapToLong(Long::longValue).max().orElseThrow();
                spark.sparkContext().killTaskAttempt(victim, true, "killed by the test");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        killer.setDaemon(true);
        killer.start();
        try {
            SparkCommandsTest.Result r = SparkCommandsTest.tlbSpark(args("train", "--tasks", 2, "--out", tasks,
                    "--epochs", 2));
            assertEquals(0, r.code(), r.out() + r.err());
        } finally {
            killer.interrupt();
            spark.sparkContext().removeSparkListener(listener);
        }
        assertTrue(attempts.contains(1), "the barrier stage ran a second attempt: " + attempts);
        String log = Files.readString(tasks.resolve("train.log"));
        assertTrue(log.contains("Resuming " + tasks + " after epoch 1 of 2"), log);
        assertEquals(withoutSeconds(threads), withoutSeconds(tasks));
        assertArrayEquals(Files.readAllBytes(threads.resolve("model.params")), Files.readAllBytes(tasks.resolve("model.params")));
    }

    @Test
    void badOptionsAndAnotherRunAreOneLineWithTlbsExitCodes() throws Exception {
        Path fresh = tmp.resolve("never");
        for (String[] bad : List.of(args("train", "--out", fresh), args("train", "--tasks", 0, "--out", fresh),
                args("train", "--tasks", 3, "--out", fresh, "--master", "local[2]"),
                args("train", "--tasks", 2, "--out", fresh, "--set", "no_such_key=1"))) {
            SparkCommandsTest.Result r = SparkCommandsTest.tlbSpark(bad);
            assertEquals(2, r.code(), String.join(" ", bad) + "\n" + r.out() + r.err());
            assertTrue(r.err().startsWith("tlb-spark: "), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
            assertFalse(Files.exists(fresh), "nothing written: " + String.join(" ", bad));
        }
        SparkCommandsTest.Result another = SparkCommandsTest.tlbSpark(args("train", "--tasks", 2, "--out", threads));
        assertEquals(2, another.code(), another.out() + another.err());
        assertEquals("tlb-spark: error: " + threads + " already holds a run; use --resume " + threads + " or another --out",
                another.err().lines().findFirst().orElseThrow());
        SparkCommandsTest.Result noData = SparkCommandsTest.tlbSpark("train", "--tasks", "2", "--out", fresh.toString(),
                "--data", tmp.resolve("no-such-data").toString());
        SparkCommandsTest.Result tlbNoData = SparkCommandsTest.tlb("train", "--set", "workers=2", "--out", fresh.toString(),
                "--data", tmp.resolve("no-such-data").toString());
        assertEquals(tlbNoData.code(), noData.code(), noData.err());
        assertEquals(1, noData.code(), noData.err());
        assertEquals(tlbNoData.err().replace("tlb:", "tlb-spark:"), noData.err());
        assertFalse(Files.exists(fresh));
    }

    private static JsonNode withoutSeconds(Path run) throws Exception {
        return withoutSeconds(run, 2);
    }

    private static JsonNode withoutSeconds(Path run, int epochs) throws Exception {
        JsonNode history = JSON.readTree(run.resolve("history.json").toFile());
        history.forEach(epoch -> ((ObjectNode) epoch).remove("seconds"));
        assertEquals(epochs, history.size());
        return history;
    }
}
