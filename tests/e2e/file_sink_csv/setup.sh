"$SLUICE" run pipeline.conf
