W2346asian
r i BC-AS--China-DaringEscap 3rdLd-Writethru   05-09 1444
^BC-AS--China-Daring Escape-ABRIDGED, 3rd Ld-Writethru,827<
^AP Exclusive: China lawyer's family says US helped them flee<
^AP Photo XHG401, XHG102, XBEJ101<
^(Eds: Minor edits. A longer version of this story is available. With AP Photos. With BC-AS--China-Lawyer Trial.)<
^By GERRY SHIH=
^Associated Press=
	   BEIJING (AP) _ Stuck in a Bangkok jail with a deportation order against her, Chen Guiqiu waited with dread over what seemed certain to come next. A Thai immigration official showed her surveillance video of the jail entrance, where more than a dozen Chinese security agents were waiting.
 
	   Within minutes, Chen feared, she and her two daughters would be escorted back to China, where her husband, prominent rights lawyer Xie Yang, was held on a charge of inciting subversion _ and where punishment for attempting to flee surely awaited her.
 
	   After weeks on the run, Chen was exhausted, and so was her luck. A Christian, she prayed: ``Don't desert us now, not like this.''
 
	   Help arrived, from America.
 
	   U.S. Embassy officials reached the jail and whisked Chen and her daughters away. The Chinese agents outside soon realized what had happened and pursued them, finally meeting in a standoff at the Bangkok airport where Chinese, Thai and U.S. officials heatedly argued over custody of the family. 
 
	   Chen and her supporters disclosed details of her family's March escape for the first time to The Associated Press. 
 
	   The saga demonstrates that in at least some cases, American officials are willing to push back, even at a moment weeks before President Donald Trump and Chinese leader Xi Jinping were to meet in Florida. The Trump administration has been criticized for downplaying human rights in foreign policy, but may have viewed Chen's case as special _ if not for herself then for her younger daughter, a 4-year-old American citizen.
 
	   Their ordeal began July 9, 2015, when China launched a crackdown on human rights lawyers. Chen's husband, who has represented evicted farmers and pro-democracy activists, was among dozens detained and later charged with crimes against the state.
 
	   In January, Chen helped release her husband's account of being beaten, deprived of sleep and otherwise tortured. Police summoned Chen for hours-long meetings where, she said, they threatened to evict her, deny her children schooling and have her fired from her job as a university professor.
 
	   Chen contacted Bob Fu, a Christian rights activist based in Texas who has helped several high-profile dissidents flee China.
 
	   On the morning of Feb. 19, she told her daughters, ``We're going on a trip.''
 
	   They headed south from their home in central China, then crossed into at least two countries without paperwork. There were nights, she said, when they had nowhere to sleep and days when they had nothing but a bag of chocolates to eat.
 
	   After five days of travel, they arrived at a safe house in Bangkok. Somehow, Chinese authorities still learned that she might be in Thailand. Security agents forced her relatives and friends to fly with them to Bangkok in an unusual attempt to locate her.
 
	   On March 2, Thai police barged into the safe house and sent the family to detention. The next morning, an immigration judge ordered Chen to be deported.
 
	   In Texas, Fu alerted the State Department and his associates in Thailand, who quickly located her.
 
	   According to Fu, U.S. officials made it into the jail March 3, found Chen's daughters and eventually Chen herself. The Americans convinced Thai officials to let them whisk her out the back, said Fu and another person with knowledge of the operation, who spoke on condition of anonymity because the person was not authorized to speak publicly.
 
	   Chen was stopped at the airport by Thai immigration officials. In an hours-long standoff at the airport, the person with knowledge of the operation said, a confrontation between the Chinese, American and Thai officials nearly boiled over into a physical clash.
 
	   Chen and Fu declined to explain what happened next, citing diplomatic sensitivities, other than that the family made it to the U.S. on March 17.
 
	   China's foreign affairs and public security ministries did not respond to faxed requests for comment. Thai and U.S. authorities declined to comment.
 
	   It's unusual for U.S. officials to take such bold action to help Chinese citizens, human rights workers say. A likely factor: Chen's younger daughter was born in the U.S. while Xie was studying there.
 
	   Now safe in Texas, Chen said she wanted to thank the State Department and the Trump administration. But her sense of relief has been tempered by pain.
 
	   Xie's trial, held Monday, was completed by midday without any witnesses called. Xie pleaded guilty and asked the court for leniency. A former lawyer of Xie's who helped release his account of torture was detained last week. And Chen says Chinese officials have repeatedly interrogated her relatives who had been compelled to travel to Thailand, and have taken their passports. 
 
	   For now, Chen and her daughters are living off the charity of her supporters. As she rebuilds her life, she's grateful to have kept her voice.
 
	   ``If I've escaped the country, they can't control the situation anymore,'' she said. ``Now, what can they do?''
 
	   ___
 
	   AP writers Gillian Wong in Beijing, Matthew Pennington in Washington and Grant Peck in Bangkok contributed to this report.

	   AP-WF-05-09-17 0056GMT<


