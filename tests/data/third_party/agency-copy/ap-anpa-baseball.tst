z9631-----
r z BC-BBO--BaseballExpanded     05-17 0820
^BC-BBO--Baseball Expanded Glance< 
^Baseball Expanded Standings= 
^All Times EDT= 
^By The Associated Press= 
^AMERICAN LEAGUE= 
^East Division= 
^;W;L;Pct;GB;WCGB;L10;Str;Home;Away 
Baltimore;23;13;.639;_;_;8-2;L-1;16-6;7-7 
Boston;24;14;.632;_;_;7-3;W-2;14-8;10-6 
Toronto;19;21;.475;6;3{;4-6;L-3;9-11;10-10 
Tampa Bay;17;19;.472;6;3{;5-5;W-1;10-11;7-8 
New York;16;21;.432;7{;5;6-4;L-1;12-10;4-11 
^Central Division= 
^;W;L;Pct;GB;WCGB;L10;Str;Home;Away 
Chicago;24;14;.632;_;_;5-5;L-2;10-5;14-9 
Cleveland;18;17;.514;4{;2;5-5;W-1;10-8;8-9 
Kansas City;18;19;.486;5{;3;4-6;W-1;11-6;7-13 
Detroit;17;21;.447;7;4{;3-7;W-2;6-9;11-12 
Minnesota;10;27;.270;13{;11;2-8;L-1;6-10;4-17 
^West Division= 
^;W;L;Pct;GB;WCGB;L10;Str;Home;Away 
Seattle;21;16;.568;_;_;5-5;L-3;8-10;13-6 
Texas;22;17;.564;_;_;7-3;L-1;14-7;8-10 
Los Angeles;17;21;.447;4{;4{;4-6;W-4;6-12;11-9 
Oakland;17;22;.436;5;5;4-6;W-2;6-11;11-11 
Houston;15;24;.385;7;7;5-5;L-2;10-10;5-14 
	   ___= 
^NATIONAL LEAGUE= 
^East Division= 
^;W;L;Pct;GB;WCGB;L10;Str;Home;Away 
Washington;23;15;.605;_;_;4-6;L-2;12-7;11-8 
New York;21;16;.568;1{;_;4-6;L-4;9-6;12-10 
Philadelphia;22;17;.564;1{;_;6-4;L-2;10-7;12-10 
Miami;21;17;.553;2;{;5-5;W-3;8-10;13-7 
Atlanta;9;28;.243;13{;12;2-8;L-2;2-17;7-11 
^Central Division= 
^;W;L;Pct;GB;WCGB;L10;Str;Home;Away 
Chicago;27;9;.750;_;_;7-3;L-1;14-6;13-3 
Pittsburgh;20;17;.541;7{;1;5-5;W-2;8-7;12-10 
St. Louis;20;18;.526;8;1{;6-4;W-1;9-10;11-8 
Milwaukee;16;22;.421;12;5{;5-5;W-1;10-11;6-11 
Cincinnati;15;23;.395;13;6{;4-6;L-1;12-10;3-13 
^West Division= 
^;W;L;Pct;GB;WCGB;L10;Str;Home;Away 
San Francisco;22;18;.550;_;_;7-3;W-5;11-10;11-8 
Colorado;19;18;.514;1{;2;6-4;W-4;8-10;11-8 
Los Angeles;20;19;.513;1{;2;6-4;L-2;9-12;11-7 
Arizona;18;23;.439;4{;5;5-5;W-1;6-16;12-7 
San Diego;17;22;.436;4{;5;5-5;L-1;8-11;9-11 
	   ___= 
^AMERICAN LEAGUE= 
^Sunday's Games= 
	   N.Y. Yankees 7, Chicago White Sox 5 
	   Minnesota 5, Cleveland 1 
	   Oakland 7, Tampa Bay 6 
	   Detroit 6, Baltimore 5 
	   Boston 10, Houston 9 
	   Kansas City 4, Atlanta 2, 13 innings 
	   Texas 7, Toronto 6 
	   L.A. Angels 3, Seattle 0< 
^Monday's Games= 
	   Cleveland 15, Cincinnati 6 
	   Boston at Kansas City, ppd. 
	   Tampa Bay 13, Toronto 2 
	   Detroit 10, Minnesota 8 
	   Arizona 12, N.Y. Yankees 2 
	   Oakland 3, Texas 1 
	   L.A. Angels 7, L.A. Dodgers 6< 
^Tuesday's Games= 
	   Cincinnati (Simon 1-3) at Cleveland (Salazar 3-2), 6:10 p.m. 
	   Seattle (Miley 3-2) at Baltimore (Jimenez 2-3), 7:05 p.m. 
	   Tampa Bay (Archer 2-4) at Toronto (Stroman 4-0), 7:07 p.m. 
	   Minnesota (Hughes 1-6) at Detroit (Pelfrey 0-4), 7:10 p.m. 
	   Houston (Keuchel 2-5) at Chicago White Sox (Rodon 1-4), 8:10 p.m. 
	   Boston (Porcello 6-1) at Kansas City (Ventura 3-2), 8:15 p.m. 
	   N.Y. Yankees (Pineda 1-4) at Arizona (Greinke 3-3), 9:40 p.m. 
	   Texas (Hamels 4-0) at Oakland (Surkamp 0-3), 10:05 p.m. 
	   L.A. Angels (Weaver 3-2) at L.A. Dodgers (Kershaw 5-1), 10:10 p.m.< 
^Wednesday's Games= 
	   Minnesota at Detroit, 1:08 p.m. 
	   Boston at Kansas City, 2:15 p.m. 
	   Texas at Oakland, 3:35 p.m. 
	   Seattle at Baltimore, 7:05 p.m. 
	   Tampa Bay at Toronto, 7:07 p.m. 
	   Cleveland at Cincinnati, 7:10 p.m. 
	   Houston at Chicago White Sox, 8:10 p.m. 
	   Boston at Kansas City, 8:15 p.m. 
	   N.Y. Yankees at Arizona, 9:40 p.m. 
	   L.A. Dodgers at L.A. Angels, 10:05 p.m.< 
	   ___= 
^NATIONAL LEAGUE= 
^Sunday's Games= 
	   Cincinnati 9, Philadelphia 4 
	   Miami 5, Washington 1 
	   Milwaukee 3, San Diego 2 
	   Kansas City 4, Atlanta 2, 13 innings 
	   Pittsburgh 2, Chicago Cubs 1 
	   Colorado 4, N.Y. Mets 3 
	   San Francisco 2, Arizona 1 
	   St. Louis 5, L.A. Dodgers 2< 
^Monday's Games= 
	   Cleveland 15, Cincinnati 6 
	   Miami 5, Philadelphia 3 
	   Pittsburgh 8, Atlanta 5 
	   Arizona 12, N.Y. Yankees 2 
	   L.A. Angels 7, L.A. Dodgers 6< 
^Tuesday's Games= 
	   Cincinnati (Simon 1-3) at Cleveland (Salazar 3-2), 6:10 p.m. 
	   Atlanta (Blair 0-2) at Pittsburgh (Nicasio 3-3), 7:05 p.m. 
	   Miami (Chen 3-1) at Philadelphia (Velasquez 4-1), 7:05 p.m. 
	   Washington (Scherzer 4-2) at N.Y. Mets (Syndergaard 3-2), 7:10 p.m. 
	   Chicago Cubs (Hendricks 2-2) at Milwaukee (Anderson 1-5), 8:10 p.m. 
	   Colorado (Bettis 3-2) at St. Louis (Garcia 3-2), 8:15 p.m. 
	   N.Y. Yankees (Pineda 1-4) at Arizona (Greinke 3-3), 9:40 p.m. 
	   L.A. Angels (Weaver 3-2) at L.A. Dodgers (Kershaw 5-1), 10:10 p.m. 
	   San Francisco (Bumgarner 4-2) at San Diego (Rea 3-1), 10:10 p.m.< 
^Wednesday's Games= 
	   Miami at Philadelphia, 1:05 p.m. 
	   Atlanta at Pittsburgh, 7:05 p.m. 
	   Cleveland at Cincinnati, 7:10 p.m. 
	   Washington at N.Y. Mets, 7:10 p.m. 
	   Chicago Cubs at Milwaukee, 8:10 p.m. 
	   Colorado at St. Louis, 8:15 p.m. 
	   N.Y. Yankees at Arizona, 9:40 p.m. 
	   L.A. Dodgers at L.A. Angels, 10:05 p.m. 
	   San Francisco at San Diego, 10:10 p.m.< 

	   AP-WF-05-17-16 0620GMT<


