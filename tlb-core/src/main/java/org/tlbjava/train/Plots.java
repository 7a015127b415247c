package org.tlbjava.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.tlbjava.io.AtomicFiles;

/** The reference's two figures: loss and val_loss, accuracy and val_accuracy, per epoch. */
final class Plots {
    private Plots() {}

    static void write(List<EpochRecord> history, Path runDir) throws IOException {
        curve(history, "loss", EpochRecord::loss, EpochRecord::valLoss, runDir.resolve("loss.png"));
        curve(history, "accuracy", EpochRecord::accuracy, EpochRecord::valAccuracy, runDir.resolve("accuracy.png"));
    }

    private static void curve(List<EpochRecord> history, String name, ToDoubleFunction<EpochRecord> train,
            ToDoubleFunction<EpochRecord> val, Path file) throws IOException {
        XYSeries trainSeries = new XYSeries(name);
        XYSeries valSeries = new XYSeries("val_" + name);
        for (EpochRecord r : history) {
            trainSeries.add(r.epoch(), train.applyAsDouble(r));
            valSeries.add(r.epoch(), val.applyAsDouble(r));
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(trainSeries);
        data.addSeries(valSeries);
        JFreeChart chart = ChartFactory.createXYLineChart(name, "epoch", name, data,
                PlotOrientation.VERTICAL, true, false, false);
        chart.getXYPlot().setBackgroundPaint(Color.WHITE);
        chart.getXYPlot().getRenderer().setSeriesStroke(0, new BasicStroke(2f));
        chart.getXYPlot().getRenderer().setSeriesStroke(1, new BasicStroke(2f));
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, 640, 480));
    }
}
