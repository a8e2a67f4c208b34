"""The live curves: every point stays in view while the axes move only now and then."""

from netlab.training.events import BatchEnd, EpochEnd


def test_curves_keep_every_point_in_view_with_few_range_changes(qtbot):
    from gui.tabs.curves import SERIES, CurvesView, x_span

    assert [x_span(x, 10) for x in (0.1, 1.0, 1.5, 3.2, 7.9, 9.5)] == [1, 1, 2, 4, 8, 10]
    assert x_span(20.5, 0) == 32  # the run's length unknown: keeps doubling

    view = CurvesView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: len(view.plots) == 3)  # built just after the first paint
    assert not view.plots["bn_gap"].isVisible()  # until a run reports a gap
    view.set_epochs(10)
    x_ranges = set()
    for epoch in range(3):
        for batch in range(1, 21):
            step = epoch * 20 + batch
            view.add_batch(BatchEnd(epoch, batch, 20, 2.5 / step, 1 - 1 / (step + 1), 100.0, 1.0))
            view.flush()
            x_ranges.add(view._ranges["loss"][0])
        view.add_epoch(EpochEnd(epoch, 10, {"loss": 2.0 / (epoch + 1), "accuracy": 0.5, "val_loss": 3.0,
                                            "val_accuracy": 0.4, "train_eval_loss": 1.5 / (epoch + 1),
                                            "train_eval_accuracy": 0.6, "bn_gap": 0.3 - 0.2 * epoch}))
        view.flush()
    assert view.point_count("loss", "batch") == 60 and view.point_count("loss", "val") == 3
    assert view.point_count("accuracy", "train_eval") == 3 and view.point_count("bn_gap", "gap") == 3
    assert view.plots["bn_gap"].isVisible()
    assert x_ranges == {(0.0, 1.0), (0.0, 2.0), (0.0, 4.0)}  # three moves in 60 batches
    for metric, plot in view.plots.items():
        (x0, x1), (y0, y1) = plot.getViewBox().viewRange()
        for kind in SERIES[metric]:
            xs, ys = view.items[(metric, kind)].getData()
            points = [(x, y) for x, y in zip(xs, ys) if x == x]
            assert points and all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in points), (metric, kind)
    (_, _), (gap_low, gap_high) = view.plots["bn_gap"].getViewBox().viewRange()
    assert gap_low < -0.1 < 0 < 0.3 < gap_high  # zero stays in view beside the gap
    view.finish()  # the run is over: the plots fit the data again
    assert all(plot.getViewBox().autoRangeEnabled() == [True, True] for plot in view.plots.values())
