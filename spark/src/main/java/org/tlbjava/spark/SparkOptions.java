package org.tlbjava.spark;

import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/** {@code --master URL}, shared by the commands, and the session it starts. */
final class SparkOptions {
    static final String DEFAULT_MASTER = "local[*]";
    private static final String LOOPBACK = "127.0.0.1";

    @Option(names = "--master", paramLabel = "URL", description = "Spark master: local[N], spark://HOST:PORT, yarn, k8s://… (default: spark-submit's, else "
            + DEFAULT_MASTER + ").")
    String master;

    /** A session for one command; closing it stops Spark unless the session was there before (embedding, tests). */
    record Session(SparkSession spark, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                spark.stop();
            }
        }
    }

    /**
     * The running session if there is one (a program that embeds the commands, the tests), else a
     * new one on {@code --master}, else on the master spark-submit set, else in-process. A local
     * session binds to 127.0.0.1 (nothing else can reach it, and the machine's outside address may
     * not resolve); on a cluster the executors must reach the driver, so Spark's defaults stand.
     */
    Session start(String appName) {
        SparkSession running = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
                : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
        if (running != null && !running.sparkContext().isStopped()) {
            announce(running);
            return new Session(running, false);
        }
        SparkConf conf = new SparkConf();
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster(DEFAULT_MASTER);
        }
        if (isLocal(conf.get("spark.master"))) {
            conf.setIfMissing("spark.driver.host", LOOPBACK);
            conf.setIfMissing("spark.driver.bindAddress", LOOPBACK);
        }
        conf.setIfMissing("spark.ui.showConsoleProgress", "true");
        // binaryFile charges 4 MB a file by default when packing files into partitions: ~30 small
        // images each, too few to batch; 64 KB lets a partition hold ~2000 CIFAR-sized images
        conf.setIfMissing("spark.sql.files.openCostInBytes", "65536");
        SparkSession spark = SparkSession.builder().appName(appName).config(conf).getOrCreate();
        announce(spark);
        return new Session(spark, true);
    }

    /** Where Spark's web UI and log are, for the user. */
    private static void announce(SparkSession spark) {
        String ui = spark.sparkContext().uiWebUrl().isDefined() ? spark.sparkContext().uiWebUrl().get() : "off";
        System.err.printf(Locale.ROOT, "tlb-spark: Spark %s on %s; web UI %s while the job runs; Spark's log and"
                + " progress on stderr%n", spark.version(), spark.sparkContext().master(), ui);
    }

    static boolean isLocal(String master) {
        return master.startsWith("local");
    }
}
