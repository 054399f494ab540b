G7787glbsm
r d BC-US--GiantLobsterDeath 1stLd-Writethru   08-29 0590
^BC-US--Giant Lobster Death, 1st Ld-Writethru,127<
^$210 lobster is found dead<
^Eds: APNewsNow. Changes short headline. New approach.<
	   CHATHAM, Mass. (AP) _ A lobster died.

	   AP-WF-08-29-16 1626GMT<


