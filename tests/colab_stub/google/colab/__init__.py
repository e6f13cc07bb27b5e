"""Stand-in for Colab's ``google.colab`` in the Colab simulation (tests/test_colab_simulation.py).

Colab imports its module when the kernel starts; the course's setup block only asks whether it is
in ``sys.modules``. Nothing of Colab's front end (``_message``, drive, files) is imitated, so code
that needs it takes the path it takes in an older or a broken Colab.
"""
