"""SkyMath's self-compare fine-tuning (arXiv 2310.16713) as a resumable stage.

``config`` (the typed config), ``problems`` (training problems and their split into rounds),
``answers`` (the model answers, graded), ``prompts`` (teacher prompt fields, the hinted training
question), ``samples`` (the sample record and the teacher round trip), ``rounds`` (one round's
steps), ``report``, ``run`` (the stage) and ``cli``. Nothing heavy is imported here.
"""
