# Convenience wrappers; run.py does the work and needs only python3.
.PHONY: demo test
demo:
	python3 run.py demo
test:
	python3 run.py test
