"""The counting stages, shared by every mode (analyze, live, tune): each has one job and one ``update``.

:class:`~posecheck.evaluator.Evaluator` runs them in this order for every Sample:

- :mod:`.presence`: is someone there (a short dropout is not leaving);
- :mod:`.view`: the camera's view of the body, in degrees, smoothed;
- :mod:`.start`: has the body reached the exercise's starting position (counting begins there);
- :mod:`.reps` / :mod:`.holds`: count reps, or time a hold;
- :mod:`.checks`: form checks, each in the views it is valid in;
- :mod:`.cues`: one cue at a time, each long enough to read.

Phases, rejection reasons and every message they produce are data in :mod:`.messages`.
"""
