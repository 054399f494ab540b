a0105KYODOkoko-
u s BC-Soccer-Emperor's-Cup   09-12 0344
BC-Soccer-Emperor's-Cup
Soccer: Urawa Reds claim 7th Emperor's Cup by beating Vegalta Sendai+
     SAITAMA, Japan, Dec. 9 Kyodo - Urawa Reds claimed their seventh 
Emperor's Cup on Sunday after defeating fellow J-League top division 
side Vegalta Sendai 1-0 at Saitama Stadium.
     Midfielder Tomoya Ugajin scored the only goal of the night in 
the 13th minute to lead Urawa to their first title in 12 tournaments, 
as well as an automatic qualification for the 2019 Asian Champions 
League group stage.
     Both sides fought aggressively from beginning to end, but 
Vegalta failed to make use of the several chances they had and were 
unable to take home their first major title.
     Following a corner kick, the 30-year-old Ugajin drove in the 
winner from outside the penalty area following a headed clearance 
from Vegalta forward Gakuto Notsuda.
     "We have been training for that situation over and over so I'm 
relieved I was able to score. I want to compliment myself for that," 
Ugajin said.
     Urawa had won back-to-back Emperor's Cup titles in 2005 and 
2006, but lost to Gamba Osaka in 2015 when they made their most 
recent appearance in a final. The 2017 Asian Champions League winners 
had finished fifth in the J-League this season.
     "I'm delighted to be able to win in front of our fans here. I 
wanted to give a present to the supporters," said Urawa head coach 
Oswaldo Oliveira, who took the job this season.
     Sendai, playing in their first Emperor's Cup final, had several 
chances to equalize but were unable to take them in front of the 
sellout crowd.
     The side, who finished 11th in J1, had not won a league match 
against the Reds since 2015, and has never won against them at 
Urawa's home Saitama Stadium.
     Notsuda shot over the crossbar from a free kick in the 60th 
minute, and Urawa keeper Shusaku Nishikawa caught Kazuki Oiwa's shot 
in the 77th and saved another effort from Notsuda four minutes later.
     Three Urawa players -- midfielder Takuya Aoki and forwards 
Shinzo Koroki and Yuki Muto -- returned to the starting lineup to 
lead the team's attack. They came off during Wednesday's semifinal 
against Kashima Antlers when they sustained injuries.
==Kyodo
KWS-21:37-09-12-18
