// Bundled name lists (first names and surnames from many languages), used to detect names in free text
// and to draw pseudonymous names. Kept as space-separated strings so the module stays small and fast to load.

const FIRST = "Andre Rene Raul Ramon Angel Jesus Adrian Noel Renee Veronica Melanie Gladys Freddy Roxanne Kristen Nathaniel Tiffany Brad Terri Caitlin Sinead Oisin Malgorzata Lukasz Pawel Zoltan Laszlo Istvan Sandor Gyorgy Hakan Ozlem Joao Zara Ines Leandra Zoe Mila Nina Levi Kai Noa Aiden Emre Ayla Leila Lior Yara Amir Omid Tariq Ilse Wiebke Jens Sanne Noor Mirthe James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony Mark " +
  "Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan Jacob " +
  "Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick " +
  "Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle Ethan Walter Noah " +
  "Jeremy Christian Keith Roger Terry Gerald Harold Sean Austin Carl Arthur Lawrence Dylan Jesse Jordan Bryan " +
  "Billy Joe Bruce Gabriel Logan Albert Willie Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell " +
  "Bobby Mason Philip Louis Harry Howard Fred Martin Craig Stanley Leonard Dale Curtis Norman Allen Marvin Glenn " +
  "Jeffery Travis Lee Melvin Herbert Chad Clarence Luis Shawn Edwin Derek Derrick Ricky Clifford Bernard Alfred " +
  "Lewis Troy Francis Leroy Ian Owen Luke Liam Oliver Lucas Caleb Isaac Hunter Connor Landon Cameron Evan Wyatt " +
  "Jayden Carter Julian Levi Isaiah Lincoln Hudson Grayson Ezra Colton Jaxon Dominic Xavier Jace Silas Sawyer " +
  "Miles Chase Cole Blake Max Oscar Leo Theo Felix Hugo Archie Alfie Freddie Toby Callum Declan Rory Finn Kieran " +
  "Ciaran Niall Seamus Eoin Cormac Conor Aidan Brendan Colm Padraig Angus Hamish Alasdair Fraser Euan Rhys Dafydd " +
  "Gareth Emrys Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty " +
  "Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca " +
  "Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha Katherine " +
  "Christine Debra Rachel Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce Virginia Victoria " +
  "Kelly Lauren Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara " +
  "Madison Frances Kathryn Janice Jean Abigail Alice Judy Sophia Grace Denise Amber Doris Marilyn Danielle " +
  "Beverly Isabella Theresa Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Ava Mia Harper Amelia Ella " +
  "Chloe Zoe Lily Nora Riley Aria Layla Scarlett Aubrey Stella Violet Hazel Aurora Savannah Audrey Brooklyn Bella " +
  "Claire Lucy Paisley Skylar Caroline Naomi Eleanor Ruby Sadie Piper Lydia Alexa Kennedy Gabriella Maya Sophie " +
  "Caitlyn Kaitlyn Kylie Molly Jasmine Faith Erin Bridget Siobhan Niamh Aoife Ciara Saoirse Orla Roisin Eilidh " +
  "Morag Isla Freya Imogen Poppy Daisy Phoebe Jessie Tilly Evie Harriet Matilda Beatrice Florence Edith Agnes " +
  "Mabel Ivy Iris Esme Maisie Rosie Hans Klaus Jürgen Wolfgang Dieter Günter Helmut Uwe Werner Manfred Horst " +
  "Gerhard Heinz Rolf Bernd Jörg Stefan Thorsten Holger Matthias Tobias Florian Sebastian Maximilian Lukas Jonas " +
  "Leon Elias Ben Moritz Niklas Tim Jan Fabian Philipp Dominik Marcel Sven Kai Lars Ulrich Rainer Volker Armin " +
  "Detlef Erwin Otto Fritz Kurt Karl Friedrich Heinrich Wilhelm Ernst Hermann Ludwig Johannes Erich Gustav Ursula " +
  "Ingrid Helga Gisela Monika Renate Brigitte Karin Sabine Petra Claudia Susanne Birgit Katrin Anja Stefanie " +
  "Julia Lena Leonie Lea Lara Johanna Jana Katharina Franziska Annika Greta Frieda Ida Mathilda Clara Emilia " +
  "Marlene Paula Luise Uta Heike Silke Anke Elke Dagmar Gudrun Hildegard Gertrud Irmgard Waltraud Edeltraud " +
  "Liesel Magda Pierre Michel Philippe Alain Nicolas Christophe Laurent Frédéric Olivier Éric Stéphane Sébastien " +
  "Thierry Pascal Didier Julien Jérôme Guillaume Antoine Mathieu Maxime Romain Alexandre Clément Théo Raphaël " +
  "Jules Adrien Baptiste Bastien Benoît Cédric Damien Fabrice Gaël Gilles Hervé Jacques Lionel Loïc Marc Mickaël " +
  "Quentin Rémi Sylvain Thibault Yann Yves Aurélien Gaëtan Nathalie Isabelle Sylvie Françoise Martine Monique " +
  "Valérie Sandrine Céline Stéphanie Aurélie Émilie Camille Léa Manon Chloé Inès Jade Louise Zoé Lina Margaux " +
  "Pauline Mathilde Élodie Amandine Virginie Delphine Hélène Anne Chantal Dominique Geneviève Josiane Odile " +
  "Solange Yvette Gaëlle Gaetane Mélanie Océane Clémence Éloïse Anaïs Maëlle Agathe Capucine Héloïse Noémie " +
  "Ophélie José Antonio Manuel Francisco Javier Carlos Jesús Alejandro Miguel Rafael Pedro Ángel Pablo Fernando " +
  "Sergio Jorge Alberto Álvaro Diego Adrián Raúl Enrique Ramón Vicente Andrés Joaquín Santiago Víctor Eduardo " +
  "Roberto Jaime Ignacio Rubén Óscar Marcos Gonzalo Emilio Tomás Agustín Mateo Martín Nicolás Sebastián Matías " +
  "Benjamín Felipe Cristóbal Esteban Rodrigo Gustavo Hernán Ricardo Mauricio Beltrán Calquín Ulises Leandro " +
  "Gerardo Armando Arturo Ernesto Héctor Julio Leonardo Octavio Rogelio Salvador María Carmen Ana Isabel Dolores " +
  "Pilar Rosa Josefa Cristina Lucía Marta Elena Raquel Beatriz Silvia Rocío Nuria Alicia Irene Mercedes " +
  "Montserrat Sonia Natalia Alba Daniela Valentina Camila Sofía Martina Catalina Florencia Agustina Antonella " +
  "Ximena Guadalupe Leticia Lorena Marisol Paola Rosario Verónica Yolanda Esperanza Consuelo Inmaculada Remedios " +
  "Amparo Concepción Milagros Soledad Luz Nieves Azucena Belén Macarena Lourdes Gabriela Adriana Fernanda Mariana " +
  "Renata Regina Jimena Romina Luciana Constanza Javiera Francisca Josefina Ignacia Trinidad Isidora Pía Valeria " +
  "Viviana Marcela Carolina Liliana Susana João Paulo Mateus Bruno Thiago Guilherme Vinícius André Marcelo Fábio " +
  "Luiz Antônio Sérgio Márcio Júlio Renato Henrique Caio Otávio Heitor Davi Bernardo Enzo Murilo Joaquim Tiago " +
  "Rui Nuno Duarte Gonçalo Afonso Vasco Tomé Juliana Patrícia Aline Bruna Jéssica Letícia Vanessa Larissa Bianca " +
  "Natália Rafaela Tatiana Priscila Luana Isabela Manuela Helena Lívia Heloísa Cecília Yasmin Vitória Sabrina " +
  "Débora Simone Cláudia Rosângela Sônia Vera Márcia Eliane Joana Inês Leonor Matilde Margarida Rita Filipa " +
  "Catarina Sofia Giuseppe Giovanni Mario Luigi Francesco Angelo Vincenzo Pietro Salvatore Carlo Franco Domenico " +
  "Paolo Michele Giorgio Aldo Luciano Stefano Alessandro Marco Matteo Lorenzo Davide Riccardo Federico Emanuele " +
  "Gabriele Tommaso Edoardo Giacomo Filippo Nicola Massimo Fabio Claudio Enrico Raffaele Gianluca Gianni Luca " +
  "Dario Maurizio Ugo Valerio Vittorio Cesare Corrado Ettore Fabrizio Flavio Guido Leone Nunzio Ottavio Piero " +
  "Rocco Sandro Silvio Umberto Arnaldo Giuseppina Giovanna Lucia Carmela Caterina Francesca Antonietta Carla " +
  "Concetta Margherita Franca Giulia Chiara Alessia Federica Elisa Giorgia Ginevra Vittoria Noemi Arianna Camilla " +
  "Serena Roberta Simona Monica Patrizia Raffaella Stefania Cettina Nunzia Ornella Loredana Graziella Luisa " +
  "Lorenza Marisa Mirella Rosanna Tiziana Vanna Erik Anders Per Nils Johan Lennart Olof Bengt Gunnar Björn Bo Ulf " +
  "Göran Leif Stig Mats Magnus Mikael Fredrik Henrik Mattias Andreas Oskar Axel Viktor Emil Albin Isak Anton " +
  "Filip Ludvig Melker Vilgot Sixten Arvid Knut Olav Ole Morten Rune Terje Geir Trond Øyvind Espen Bjørn Kjell " +
  "Jens Søren Niels Poul Mogens Kasper Rasmus Mathias Frederik Mads Jesper Kristian Halvard Torbjörn Ragnar " +
  "Sigurd Vilhjalmur Jón Sigurður Guðmundur Einar Ólafur Kristján Stefán Eva Kristina Kerstin Margareta Birgitta " +
  "Elisabeth Linnéa Elsa Alva Ebba Wilma Saga Astrid Signe Tyra Maja Alma Freja Stina Ingeborg Solveig Sigrid " +
  "Ragnhild Liv Kari Hilde Randi Marit Gunhild Torunn Mette Hanne Lone Pia Tina Katrine Rikke Sanne Trine Helle " +
  "Bodil Birthe Inger Jytte Kirsten Elínborg Guðrún Sigríður Kristín Jóhanna Margrét Ásta Åsa Märta Malin Frida " +
  "Josefin Emelie Mikko Juha Timo Matti Jari Antti Jukka Markku Pekka Hannu Heikki Petri Sami Ville Janne Tuomas " +
  "Teemu Jussi Lauri Eero Eetu Onni Aleksi Joonas Niko Olli Paavo Risto Seppo Tapio Veikko Väinö Arvo Keijo " +
  "Einojuhani Raimo Reijo Toivo Esa Ilkka Ismo Kalevi Aatu Elmeri Tuula Ritva Pirjo Sirpa Päivi Leena Merja Tiina " +
  "Marjatta Kaija Satu Minna Riitta Hannele Sanna Heidi Emmi Aino Eveliina Venla Siiri Elli Iida Kaisa Katja Outi " +
  "Jaana Kirsi Marja Eila Helmi Hilkka Irja Liisa Terttu Petr Josef Pavel Tomáš Jaroslav Miroslav Zdeněk Václav " +
  "Michal Karel Milan Vladimír Lukáš Jakub Ondřej Jiří Stanislav Radek Vojtěch Matěj Marek Roman Libor Bohumil " +
  "Ladislav Zbyněk Ivo Hana Lenka Kateřina Věra Lucie Alena Jaroslava Ludmila Zdeňka Veronika Jitka Tereza " +
  "Michaela Barbora Eliška Šárka Růžena Ivana Vlasta Blanka Markéta Radka Zuzana Božena Miroslava Milena Olga " +
  "Nikola Klára László István József János Zoltán Sándor Gábor Ferenc Attila Péter Tamás Zsolt Tibor András Csaba " +
  "Imre Lajos György Balázs Gergely Dávid Ádám Bence Máté Levente Krisztián Norbert Róbert Ákos Dániel Barnabás " +
  "Botond Kristóf Márton Ubul Adony Vince Endre Géza Dezső Ernő Kálmán Szilárd Tihamér Mária Erzsébet Ilona " +
  "Katalin Éva Zsuzsanna Margit Judit Ágnes Erika Krisztina Edit Szilvia Mónika Anita Tímea Eszter Orsolya Réka " +
  "Dóra Viktória Nikolett Boglárka Hanna Lilla Zsófia Fanni Jázmin Noémi Piroska Rozália Terézia Szabina Janka " +
  "Berta Enikő Ildikó Irén Magdolna Csilla Kinga Tünde Bernadett Donka Piotr Krzysztof Andrzej Tomasz Paweł " +
  "Michał Marcin Grzegorz Łukasz Mariusz Wojciech Dariusz Maciej Kamil Mateusz Jerzy Zbigniew Ryszard Tadeusz " +
  "Kazimierz Stanisław Bartosz Damian Szymon Hubert Bonifacy Wiesław Zdzisław Czesław Bogdan Leszek Przemysław " +
  "Radosław Jarosław Sławomir Witold Katarzyna Małgorzata Agnieszka Krystyna Ewa Elżbieta Zofia Janina Joanna " +
  "Magdalena Jadwiga Danuta Irena Halina Beata Aleksandra Dorota Karolina Paulina Justyna Agata Weronika Zuzanna " +
  "Wiktoria Oliwia Alicja Iwona Grażyna Bożena Sylwia Urszula Jolanta Wanda Stanisława Aleksandr Sergey Dmitry " +
  "Andrey Alexey Maxim Ivan Mikhail Nikolai Vladimir Artem Denis Yevgeny Oleg Igor Konstantin Vadim Ilya Kirill " +
  "Timur Ruslan Yuri Boris Gennady Grigory Leonid Anatoly Valery Vasily Fyodor Pyotr Arkady Bulat Ravil Ushurma " +
  "Yaroslav Taras Oleksandr Mykola Vitaliy Irina Svetlana Ekaterina Marina Yulia Anastasia Daria Ksenia Oksana " +
  "Lyudmila Galina Nadezhda Larisa Lyubov Alla Zoya Inna Alina Polina Viktoria Yana Milana Arina Ulyana Vasilisa " +
  "Varvara Evgenia Nina Raisa Faina Yefremova Rubija Hiroshi Takeshi Kenji Satoshi Makoto Akira Yuki Daisuke " +
  "Kazuki Haruto Sota Yuto Ren Riku Kaito Hayato Takumi Shota Ryota Kenta Naoki Tetsuya Yusuke Shinji Koji Masato " +
  "Tomoya Kazuya Haruki Sho Hiroki Takuya Kenichi Ichiro Jiro Taro Yuko Keiko Naoko Kazuko Yoko Tomoko Akiko " +
  "Sachiko Michiko Yumiko Mayumi Megumi Ayumi Haruka Yui Aoi Hina Sakura Misaki Nanami Miyu Rin Mei Saki Ayaka " +
  "Mio Yuna Emi Kaori Noriko Tomomi Chiharu Asuka Eri Fumiko Hanako Wei Fang Lei Jun Jie Tao Ming Hao Yang Yong " +
  "Qiang Bin Chao Gang Hui Jian Peng Hong Xin Lin Yan Xiu Ying Li Na Jing Ping Yun Xia Lan Hua Ling Zhen Qing Yu " +
  "Chen Ning Hang Zhi Rahul Amit Rajesh Suresh Ramesh Sanjay Vijay Anil Sunil Arun Ajay Vikram Rohit Deepak Manoj " +
  "Ashok Pradeep Ravi Sandeep Nikhil Arjun Aditya Karan Varun Rohan Siddharth Abhishek Ankit Gaurav Harish Kiran " +
  "Mahesh Naveen Prakash Rakesh Sachin Sameer Vivek Yash Ishaan Vihaan Aarav Reyansh Ayaan Krishna Priya Anjali " +
  "Pooja Neha Sunita Kavita Deepika Divya Swati Shreya Aishwarya Ananya Aditi Isha Kriti Meera Nisha Pallavi " +
  "Radha Rekha Sapna Shweta Sneha Tanvi Usha Lakshmi Gita Savita Jyoti Preeti Shilpa Aarti Diya Saanvi Aadhya " +
  "Kavya Riya Mohammed Muhammad Ahmed Ali Omar Hassan Hussein Ibrahim Khalid Mahmoud Mustafa Youssef Abdullah " +
  "Karim Tariq Samir Nabil Rami Walid Ziad Fadi Bilal Hamza Amir Yasin Saeed Faisal Jamal Nasser Rashid Salim " +
  "Adel Hani Imad Osama Majid Zaid Fatima Aisha Maryam Zainab Khadija Noor Amina Huda Rania Salma Leila Dina Rana " +
  "Mona Nadia Samira Sana Farah Iman Reem Lubna Nour Dalia Asma Hiba Malak Mehmet Ahmet Hüseyin Hasan İbrahim " +
  "İsmail Osman Yusuf Murat Ömer Ramazan Halil Süleyman Mahmut Recep Kemal Emre Burak Serkan Volkan Cem Can Kerem " +
  "Arda Efe Deniz Eren Barış Ayşe Fatma Emine Hatice Zeynep Elif Meryem Şerife Sultan Hanife Merve Esra Büşra " +
  "Özlem Derya Ebru Gül Sevgi Tuğba Aylin Defne Ecem Selin Irmak Nehir Georgios Dimitrios Konstantinos Ioannis " +
  "Nikolaos Panagiotis Christos Vasileios Athanasios Evangelos Michail Spyridon Stavros Theodoros Apostolos " +
  "Kyriakos Stelios Petros Sotirios Eleni Aikaterini Vasiliki Angeliki Dimitra Georgia Paraskevi Evangelia Ioanna " +
  "Despina Chrysa Theodora Kalliopi Fotini Stavroula Athina Panagiota Efthymia Pieter Willem Hendrik Cornelis " +
  "Gerrit Dirk Jacobus Bram Daan Sem Thijs Ruben Joost Bas Koen Wouter Jeroen Maarten Sander Stijn Teun Gijs Luuk " +
  "Rutger Floris Anneke Cornelia Wilhelmina Geertruida Femke Lotte Fleur Anouk Esther Marloes Ilse Lieke Roos " +
  "Tess Fenna Saskia Mieke Hendrika Jožef Janez Marko Luka Matej Nejc Žiga Rok Gregor Aleš Boštjan Primož Matjaž " +
  "Darko Dragan Goran Zoran Nenad Dejan Bojan Branko Slobodan Predrag Ivica Tomislav Ante Josip Stjepan Polona " +
  "Mojca Špela Nataša Jasna Tanja Vesna Snežana Dragana Jelena Milica Marija Katarina Mirjana Gordana Ljiljana " +
  "Biljana Kwame Kofi Kojo Yaw Kwabena Ama Akosua Abena Adwoa Efua Chidi Emeka Obinna Ngozi Chiamaka Adaeze " +
  "Oluwaseun Tunde Ayodele Folake Bisi Sipho Thabo Themba Lerato Naledi Zanele Nomvula Thandiwe Amara Zuri Imani " +
  "Jabari Baraka Wanjiru Njeri Kamau Otieno Achieng Minh Anh Huong Thanh Tuan Hung Dung Quang Phuong Linh Trang " +
  "Hoa Duc Nam Long Bao Khoa Thuy Hien Ji-ho Min-jun Seo-yeon Ji-woo Ha-eun Do-yoon Seo-jun Ji-hoon Hyun-woo " +
  "Su-bin Eun-ji Jae-won Young-ho Sung-min Kyung-soo Selam Julieta Vivian Orva Vincencij Milda Saulius Tomas Rūta " +
  "Aistė Gintaras Andris Jānis Ilze Liga Kristaps Mart Kaja Tõnu Kadri Tarmo Indrek Siim Triin Piret";

const LAST = "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson " +
  "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis " +
  "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera " +
  "Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart " +
  "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim " +
  "Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo " +
  "Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler " +
  "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds " +
  "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford " +
  "Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman " +
  "Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon " +
  "Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice " +
  "Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer " +
  "Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong " +
  "Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards " +
  "Contreras Willis Carpenter Lawrence Sandoval Guerrero George Chapman Rios Estrada Ortega Watkins Greene Nunez " +
  "Wheeler Valdez Harper Burke Larson Santiago Maldonado Morrison Franklin Carlson Austin Dominguez Carr Lawson " +
  "Jacobs Obrien Lynch Singh Vega Bishop Montgomery Oliver Jensen Harvey Williamson Gilbert Dean Sims Espinoza " +
  "Howell Li Wong Reid Hanson Le McCoy Garrett Burton Fuller Wang Weber Welch Rojas Lucas Marquez Fields Park " +
  "Yang Little Banks Padilla Day Walsh Bowman Schultz Luna Fowler Mejia Davidson Acosta Brewer May Holland Juarez " +
  "Newman Pearson Curtis Cortez Douglas Schneider Joseph Barrett Navarro Figueroa Keller Avila Wade Molina " +
  "Stanley Hopkins Campos Barnett Bates Chambers Caldwell Beck Lambert Miranda Byrd Craig Ayala Lowe Frazier " +
  "Powers Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton Schwartz Norris Jennings Watts Duran " +
  "Walters Cohen McDaniel Moran Parks Steele Vaughn Becker Holt Deleon Barker Terry Hale Leon Hail Benson Haynes " +
  "Horton Miles Lyons Pham Graves Bush Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson Lara Fletcher " +
  "Page McCarthy Love Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon " +
  "Velasquez Hardy Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis Robbins Liu Ramsey " +
  "Francis Griffith Paul Blair Oconnor Cardenas Pacheco Cross Calderon Quinn Moss Swanson Chan Rivas Khan Rodgers " +
  "Serrano Fitzgerald Rosales Stevenson Christensen Manning Gill Curry McLaughlin Harmon McGee Gross Doyle Garner " +
  "Newton Burgess Reese Walton Blake Trujillo Adkins Brady Goodman Roman Webster Goodwin Fischer Huang Potter " +
  "Delacruz Montoya Todd Wu Hines Mullins Castaneda Malone Cannon Tate Mack Sherman Hubbard Hodges Zhang Guerra " +
  "Wolf Valencia Saunders Franco Rowe Gallagher Farmer Hammond Hampton Townsend Ingram Wise Gallegos Clarke " +
  "Barton Schroeder Maxwell Waters Logan Camacho Strickland Norman Person Colon Parsons Frank Harrington Glover " +
  "Osborne Buchanan Casey Floyd Patton Ibarra Ball Tyler Suarez Bowers Orozco Salas Cobb Gibbs Andrade Bauer " +
  "Conner Moody Escobar McGuire Lloyd Mueller Hartman French Kramer McBride Pope Lindsey Velazquez Norton " +
  "McCormick Sparks Flynn Yates Hogan Marsh Macias Villanueva Zamora Pratt Stokes Owen Ballard Lang Brock " +
  "Villarreal Charles Drake Barrera Cain Patrick Pineda Burnett Mercado Santana Shepherd Bautista Ali Shaffer " +
  "Lamb Trevino McKenzie Hess Beil Olsen Cochran Morton Nash Wilkins Petersen Briggs Shah Roth Nicholson Holloway " +
  "Lozano Rangel Flowers Hoover Short Arias Mora Valenzuela Bryan Meyers Weiss Underwood Bass Greer Summers " +
  "Houston Carson Morrow Clayton Whitaker Decker Yoder Collier Zuniga Carey Wilcox Melendez Poole Roberson Larsen " +
  "Conley Davenport Copeland Massey Lam Huff Rocha Cameron Jefferson Hood Monroe Anthony Pittman Huynh Randall " +
  "Singleton Kirk Combs Mathis Christian Skinner Bradford Richard Galvan Wall Boone Kirby Wilkinson Bridges Bruce " +
  "Atkinson Velez Meza Roy Vincent York Hodge Villa Abbott Allison Tapia Gates Chase Sosa Sweeney Farrell Wyatt " +
  "Dalton Horn Barron Phelps Yu Dickerson Heath Foley Atkins Mathews Bonilla Acevedo Benitez Zavala Hensley Glenn " +
  "Cisneros Harrell Shields Rubio Choi Huffman Boyer Garrison Arroyo Bond Kane Hancock Callahan Dillon Cline " +
  "Wiggins Grimes Arellano Melton Oneill Savage Ho Beltran Pitts Parrish Ponce Rich Booth Koch Golden Ware " +
  "Brennan McDowell Marks Cantu Humphrey Baxter Sawyer Clay Tanner Hutchinson Kaur Berg Wiley Gilmore Russo " +
  "Villegas Hobbs Keith Wilkerson Ahmed Beard McClain Montes Mata Rosario Vang Walter Henson Oneal Mosley McClure " +
  "Beasley Stephenson Snow Huerta Preston Vance Barry Johns Eaton Blackwell Dyer Prince Macdonald Solomon Guevara " +
  "Stafford English Hurst Woodard Cortes Shannon Kemp Nolan McCullough Merritt Murillo Moon Salgado Strong Kline " +
  "Cordova Barajas Roach Rosas Winters Jacobson Lester Knox Bullock Kerr Leach Meadows Orr Davila Whitehead " +
  "Pruitt Kent Conway McKee Barr David Dejesus Marin Berger McIntyre Blankenship Gaines Palacios Cuevas Bartlett " +
  "Durham Dorsey McCall Odonnell Stein Browning Stout Lowery Sloan McLean Hendricks Calhoun Sexton Chung Gentry " +
  "Hull Duarte Ellison Nielsen Gillespie Buck Middleton Sellers Leblanc Esparza Hardin Bradshaw McIntosh Howe " +
  "Livingston Frost Glass Morse Knapp Herman Stark Bravo Noble Spears Weeks Corona Frederick Buckley McFarland " +
  "Hebert Enriquez Hickman Quintero Randolph Schaefer Walls Trejo House Reilly Pennington Michael Conrad Giles " +
  "Benjamin Crosby Fitzpatrick Donovan Mays Mahoney Valentine Raymond Medrano Hahn McMillan Small Bentley Felix " +
  "Peck Lucero Boyle Hanna Pace Rush Hurley Harding McConnell Bernal Nava Ayers Everett Ventura Avery Pugh Mayer " +
  "Bender Shepard McMahon Landry Case Sampson Moses Magana Blackburn Dunlap Gould Duffy Vaughan Herring McKay " +
  "Espinosa Rivers Farley Bernard Ashley Friedman Potts Truong Costa Correa Blevins Nixon Clements Fry Delarosa " +
  "Best Benton Lugo Portillo Dougherty Crane Haley Phan Villalobos Blanchard Horne Finley Quintana Lynn Esquivel " +
  "Bean Dodson Mullen Xiong Hayden Cano Levy Huber Richmond Moyer Lim Frye Sheppard McCarty Avalos Booker Waller " +
  "Parra Woodward Jaramillo Krueger Rasmussen Brandt Peralta Donaldson Stuart Faulkner Maynard Galindo Coffey " +
  "Estes Sanford Burch Maddox Vo Oconnell Vu Andersen Spence McPherson Church Schmitt Stanton Leal Cherry Compton " +
  "Dudley Sierra Pollard Alfaro Hester Proctor Lu Hinton Novak Good Madden McCann Terrell Jarvis Dickson Reyna " +
  "Cantrell Mayo Branch Hendrix Rollins Rowland Whitney Duke Odom Daugherty Travis Tang Archer Talbot Mahler " +
  "Maclean Kuefer Dratchev Pyysalo Baader Lundberg Kortig Steffensen Hague Zadina Almeida Himmel Kasslin Rossi " +
  "Bizier Georgsson Kovaleva Zarand Souza Martins Mazzi Adony Denisov Rankovic Nucci Azevedo Henriksson Urbina " +
  "Nieves Albert Svenningsen Laursen Salmela Tokareva Krenova Bjorklund Adamczyk Szöllösy Gelencsér Yefremova " +
  "Varvio Ottová Christiansen Schwarz Fanucci Szöllössy Magnusson Kónya Nishiyama Eklund Desrosiers Kaczmarek " +
  "Ruud Yefimov Szász Albin Langrová Schulz Cazares Guðmundsdóttir Åberg Kudryashov Labrie Müller Hoffmann " +
  "Schäfer Richter Schröder Neumann Zimmermann Braun Krüger Hofmann Hartmann Lange Werner Schmitz Krause Meier " +
  "Lehmann Schmid Schulze Maier Köhler Herrmann König Kaiser Fuchs Scholz Möller Weiß Jung Schubert Vogel " +
  "Friedrich Günther Winkler Lorenz Baumann Franke Albrecht Schuster Ludwig Böhm Winter Kraus Schumacher Krämer " +
  "Vogt Jäger Otto Sommer Groß Seidel Heinrich Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel " +
  "Busch Bergmann Voigt Sauer Wolff Pfeiffer Zweig Brucker Eichhorn Lindner Kessler Wendt Ritter Hermann Kuhlmann " +
  "Dubois Robert Petit Durand Leroy Moreau Laurent Lefebvre Michel Bertrand Roux Fournier Morel Girard Andre " +
  "Lefevre Mercier Dupont Bonnet Francois Legrand Garnier Faure Rousseau Blanc Guerin Muller Roussel Nicolas " +
  "Perrin Morin Mathieu Clement Gauthier Dumont Fontaine Chevalier Robin Masson Gerard Denis Lemaire Duval Joly " +
  "Gautier Roger Roche Noel Meunier Jean Marchand Dufour Marie Barbier Brun Dumas Brunet Leroux Colin Pierre " +
  "Renard Arnaud Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard Philippe " +
  "Leclercq Lacroix Fabre Dupuis Olivier Da Hubert Louis Guillot Riviere Gall Guillaume Adam Rey Moulin Lecomte " +
  "Menard Fleury Deschamps Carpentier Julien Benoit Paris Maillard Marchal Aubry Vasseur Renault Jacquet Collet " +
  "Prevost Poirier Charpentier Royer Huet Baron Dupuy Pons Laine Carre Breton Remy Perrot Guyot Barre Marty " +
  "Cousin Gaetane Tremblay Gagnon Côté Bouchard Lavoie Fortin Gagné Ouellet Pelletier Bélanger Lévesque Bergeron " +
  "Paquette Simard Boucher Beaulieu Cloutier Dubé Lapointe Poulin Thibault St-Pierre Nadeau Martel Hébert García " +
  "Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Hernández Díaz Muñoz Álvarez " +
  "Alonso Gutiérrez Domínguez Vázquez Gil Ramírez Blanco Suárez Marín Sanz Núñez Iglesias Garrido Cortés Prieto " +
  "Méndez Calvo Gallego León Márquez Peña Carrasco Diez Caballero Nieto Pascual Herrero Lorenzo Montero Hidalgo " +
  "Giménez Ibáñez Ferrer Durán Benítez Vicente Carmona Crespo Román Pastor Sáez Velasco Moya Soler Esteban " +
  "Gallardo Beltrán Calquín Nuñez Sepúlveda Araya Pizarro Vergara Bustos Jara Vera Cáceres Toledo Riquelme " +
  "Quezada Orellana Oliveira Rodrigues Ferreira Alves Pereira Lima Gomes Ribeiro Carvalho Lopes Soares Fernandes " +
  "Vieira Barbosa Dias Nascimento Moreira Nunes Marques Machado Mendes Freitas Cardoso Gonçalves Teixeira Araújo " +
  "Pinto Correia Monteiro Moura Cavalcanti Melo Borges Batista Sousa Coelho Neves Pires Tavares Lacerda Peixoto " +
  "Fonseca Brandão Macedo Sampaio Vasconcelos Queiroz Guimarães Magalhães Matos Antunes Ferrari Esposito Bianchi " +
  "Romano Colombo Ricci Marino Greco Bruno Gallo Conti De Luca Mancini Giordano Rizzo Lombardi Moretti Barbieri " +
  "Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo " +
  "Serra Coppola Santis D'Angelo Marchetti Parisi Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini " +
  "Messina Sala Angelis Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti Cattaneo Morelli Amato Silvestri Mazza " +
  "Testa Grassi Pellegrino Carbone Giuliani Benedetti Barone Rossetti Caputo Montanari Palmieri Bernardi Martino " +
  "Fiore Rosa Ferretti Bellini Basile Riva Donati Piras Vitali Battaglia Sartori Neri Costantini Milani Pagano " +
  "Ruggiero Sorrentino D'Amico Orlando Damico Negri Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson " +
  "Persson Svensson Gustafsson Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Lindström " +
  "Olofsson Lindqvist Lindgren Axelsson Bergström Lind Lundgren Lundqvist Mattsson Berglund Fredriksson Sandberg " +
  "Forsberg Sjöberg Wallin Engström Danielsson Lundin Håkansson Björk Bergman Gunnarsson Holm Wikström Samuelsson " +
  "Isaksson Fransson Bergqvist Nyström Holmberg Arvidsson Löfgren Söderberg Nyberg Blomqvist Claesson Nordström " +
  "Mårtensson Lundström Björklund Johansen Pedersen Nilsen Kristiansen Karlsen Johnsen Pettersen Eriksen Haugen " +
  "Hagen Johannessen Andreassen Jacobsen Dahl Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen " +
  "Iversen Strand Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken Kristoffersen Mathisen Lie Amundsen " +
  "Lunde Solheim Berge Moe Nygård Bakke Kristensen Fredriksen Lien Hauge Andresen Knudsen Evensen Sæther Aas " +
  "Myhre Hanssen Haugland Thomassen Sivertsen Simonsen Danielsen Berntsen Sandvik Rønning Arnesen Antonsen Næss " +
  "Vik Haug Ellingsen Thorsen Edvardsen Birkeland Isaksen Gulbrandsen Aasen Strøm Myklebust Tangen Ødegård " +
  "Eliassen Helland Bøe Jenssen Aune Mikkelsen Tveit Brekke Abrahamsen Madsen Poulsen Thomsen Møller Mortensen " +
  "Olesen Kjær Frederiksen Jeppesen Dam Nissen Vestergaard Bach Lauridsen Kjeldsen Clausen Østergaard Søndergaard " +
  "Overgaard Mogensen Korhonen Virtanen Mäkinen Nieminen Mäkelä Hämäläinen Heikkinen Koskinen Järvinen Lehtonen " +
  "Lehtinen Saarinen Salminen Heinonen Niemi Heikkilä Kinnunen Salonen Turunen Salo Laitinen Tuominen Rantanen " +
  "Karjalainen Jokinen Mattila Savolainen Lahtinen Ahonen Hiltunen Lindholm Manninen Peltonen Kettunen Hirvonen " +
  "Leinonen Miettinen Aaltonen Rissanen Räsänen Lehto Hakala Kallio Lampinen Ojala Oksanen Seppälä Väisänen " +
  "Kärkkäinen Honkanen Toivonen Laaksonen Kauppinen Vainio Anttila Nurmi Novák Svoboda Novotný Dvořák Černý " +
  "Procházka Kučera Veselý Horák Němec Marek Pokorný Pospíšil Hájek Jelínek Král Růžička Beneš Fiala Sedláček " +
  "Doležal Zeman Kolář Navrátil Čermák Vaněk Urban Blažek Kříž Kovář Kratochvíl Bartoš Vlček Polák Musil Kopecký " +
  "Šimek Konečný Malý Holub Čech Štěpánek Staněk Kadlec Dostál Soukup Šťastný Mareš Moravec Sýkora Tichý Valenta " +
  "Vávra Matoušek Říha Bláha Nováková Svobodová Novotná Dvořáková Černá Procházková Kučerová Veselá Horáková Nagy " +
  "Kovács Tóth Szabó Horváth Varga Kiss Molnár Németh Farkas Balogh Papp Takács Juhász Lakatos Mészáros Oláh Rácz " +
  "Fekete Szilágyi Török Fehér Balázs Gál Kis Szűcs Kocsis Orsós Pintér Fodor Szalai Sipos Magyar Lukács Gulyás " +
  "Biró Király Katona László Jakab Bogdán Balog Sándor Boros Fazekas Kelemen Antal Somogyi Orosz Fülöp Veres " +
  "Budai Vincze Hegedűs Deák Pap Bálint Illés Pál Vass Szőke Fábián Vörös Lengyel Bognár Dobos Halász Kozma Bakos " +
  "Csonka Máté Soós Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak " +
  "Dąbrowski Kozłowski Jankowski Mazur Wojciechowski Kwiatkowski Krawczyk Piotrowski Grabowski Zając Pawłowski " +
  "Michalski Król Wieczorek Jabłoński Wróbel Nowakowski Majewski Olszewski Stępień Malinowski Jaworski Dudek " +
  "Nowicki Pawlak Górski Witkowski Walczak Sikora Baran Rutkowski Michalak Szewczyk Ostrowski Tomaszewski " +
  "Pietrzak Marciniak Wróblewski Zalewski Jakubowski Jasiński Zawadzki Sadowski Bąk Chmielewski Włodarczyk " +
  "Borkowski Czarnecki Sawicki Sokołowski Urbański Kubiak Maciejewski Szczepański Kucharski Wilk Kalinowski Lis " +
  "Mazurek Wysocki Adamski Kaźmierczak Wasilewski Sobczak Czerwiński Andrzejewski Cieślak Głowacki Zakrzewski " +
  "Kołodziej Sikorski Krajewski Gajewski Szymczak Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov Sokolov " +
  "Mikhailov Novikov Fedorov Morozov Volkov Alekseev Lebedev Semenov Egorov Pavlov Kozlov Stepanov Nikolaev Orlov " +
  "Andreev Makarov Nikitin Zakharov Zaitsev Soloviev Borisov Yakovlev Grigoriev Romanov Vorobiev Sergeev Kuzmin " +
  "Frolov Alexandrov Dmitriev Korolev Gusev Kiselev Ilyin Maksimov Polyakov Sorokin Vinogradov Kovalev Belov " +
  "Medvedev Antonov Tarasov Zhukov Baranov Filippov Komarov Davydov Belyaev Gerasimov Bogdanov Osipov Sidorov " +
  "Matveev Titov Markov Mironov Krylov Kulikov Karpov Vlasov Melnikov Gavrilov Tikhonov Kazakov Afanasiev Danilov " +
  "Savelyev Timofeev Fomin Chernov Abramov Martynov Efimov Fedotov Shcherbakov Nazarov Kalinin Isaev Chernyshev " +
  "Bykov Maslov Rodionov Konovalov Lazarev Voronin Klimov Filatov Ponomarev Golubev Kudryavtsev Prokhorov Naumov " +
  "Potapov Zhuravlev Ovchinnikov Trofimov Leonov Sobolev Ermakov Kolesnikov Goncharov Emelyanov Nikiforov Grachev " +
  "Kotov Grishin Efremov Arkhipov Gromov Kirillov Malyshev Panov Moiseev Rumyantsev Akimov Kondratiev Biryukov " +
  "Gorbunov Anisimov Eremin Tikhomirov Galkin Lukyanov Mikheev Skvortsov Yudin Belousov Nesterov Simonov " +
  "Prokofiev Kharitonov Knyazev Tsvetkov Levin Mitrofanov Voronov Aksenov Sofronov Maltsev Loginov Gorshkov Savin " +
  "Krasnov Mayorov Demidov Eliseev Rybakov Safonov Plotnikov Demin Khokhlov Fadeev Molchanov Ignatov Litvinov " +
  "Ershov Ushakov Dementiev Ryabov Mukhin Kalashnikov Leontiev Lobanov Kuzin Korneev Evdokimov Borodin Platonov " +
  "Nekrasov Balashov Bobrov Zhdanov Blinov Ignatiev Korotkov Muravyov Kryukov Belyakov Bogomolov Drozdov Lavrov " +
  "Zuev Petukhov Larin Nikulin Serov Terentiev Zotov Ustinov Fokin Samoilov Konstantinov Sazonov Ivanova Smirnova " +
  "Kuznetsova Popova Petrova Sokolova Volkova Orlova Morozova Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto " +
  "Nakamura Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori " +
  "Abe Ikeda Hashimoto Yamashita Ishikawa Nakajima Maeda Fujita Ogawa Goto Okada Hasegawa Murakami Kondo Ishii " +
  "Saito Sakamoto Endo Aoki Fujii Nishimura Fukuda Ota Miura Fujiwara Okamoto Matsuda Nakagawa Nakano Harada Ono " +
  "Tamura Takeuchi Kaneko Wada Nakayama Ishida Ueda Morita Hara Shibata Sakai Kudo Yokoyama Miyazaki Miyamoto " +
  "Uchida Takagi Ando Taniguchi Ohno Maruyama Imai Takada Fujimoto Takeda Murata Ueno Sugiyama Masuda Sugawara " +
  "Hirano Otsuka Chiba Kubo Matsui Iwasaki Sakurai Kinoshita Noguchi Matsuo Nomura Kikuchi Sano Onishi Sugimoto " +
  "Arai Zhao Zhou Xu Sun Ma Zhu Hu Guo He Gao Luo Zheng Liang Xie Song Han Feng Deng Cao Peng Zeng Xiao Tian Dong " +
  "Yuan Pan Cai Jiang Du Ye Cheng Wei Su Ding Ren Shen Yao Jin Jia Xia Fu Fang Zou Tan Qiu Dai Lei Hou Duan Hao " +
  "Kong Shao Shi Mao Wan Gu Lai Kang Sharma Verma Gupta Kumar Mehta Jain Agarwal Reddy Rao Nair Iyer Menon Pillai " +
  "Das Bose Banerjee Chatterjee Mukherjee Ghosh Sen Dutta Chowdhury Bhattacharya Mishra Pandey Tiwari Dubey " +
  "Srivastava Saxena Malhotra Kapoor Khanna Chopra Arora Bhatia Sethi Ahuja Goel Bansal Mittal Joshi Kulkarni " +
  "Deshpande Patil Pawar Jadhav Shinde Naidu Chauhan Rathore Thakur Yadav Prasad Sinha Varma Krishnan Subramanian " +
  "Venkatesh Raman Gopal Hegde Shetty Bhat Kamath Prabhu Hassan Hussein Ibrahim Mahmoud Mohamed Abdullah Rahman " +
  "Saleh Khalil Haddad Nasser Mansour Aziz Farouk Hamdan Jaber Khoury Saad Sabbagh Yousef Darwish Qureshi " +
  "Siddiqui Malik Chaudhry Hussain Akhtar Mirza Rashid Sheikh Bashir Karimi Hosseini Mohammadi Rezaei Moradi " +
  "Ahmadi Jafari Hashemi Ebrahimi Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan " +
  "Kılıç Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Korkmaz Karaca Erdoğan Güneş Aktaş Ünal Tekin Bulut Keskin " +
  "Papadopoulos Papadakis Georgiou Nikolaou Dimitriou Konstantinou Ioannou Christodoulou Vasileiou Antoniou " +
  "Athanasiou Pappas Oikonomou Makris Alexiou Theodorou Karagiannis Vlachos Angelopoulos Panagiotopoulos Jong " +
  "Jansen Vries Van den Dijk Bakker Janssen Visser Smit Meijer Boer Mulder Groot Bos Vos Hendriks Leeuwen Dekker " +
  "Brouwer Wit Dijkstra Smits Graaf der Meer Linden Kok Haan Vermeulen Heuvel Veen Broek Bruijn Bruin Heijden " +
  "Schouten Beek Willems Vliet Ven Hoekstra Maas Verhoeven Koster Wal Prins Blom Huisman Peeters Maes Claes " +
  "Goossens Wouters Mertens Horvat Kovačič Krajnc Zupančič Potočnik Kovač Mlakar Kos Vidmar Golob Turk Božič " +
  "Kralj Korošec Zupan Bizjak Hribar Kotnik Kavčič Rozman Kastelic Oblak Petek Žagar Hočevar Kolar Košir Koren " +
  "Klemenčič Jovanović Petrović Nikolić Marković Đorđević Stojanović Ilić Stanković Pavlović Milošević Kovačević " +
  "Babić Marić Jurić Knežević Vuković Mensah Owusu Boateng Asante Osei Adjei Appiah Amoah Okafor Okeke Okonkwo " +
  "Eze Nwosu Adeyemi Ogunleye Adebayo Oladipo Balogun Abubakar Bello Mohammed Dlamini Nkosi Ndlovu Khumalo " +
  "Mokoena Mthembu Zulu Mahlangu Kamau Mwangi Otieno Ochieng Njoroge Wanjiku Kiprop Mutua Onyango Hoang Dang Bui " +
  "Do Ngo Duong Ly Cho Yoon Jang Oh Seo Shin Kwon Hwang Ahn Jeon Hong Kazlauskas Jankauskas Petrauskas " +
  "Stankevičius Vasiliauskas Žukauskas Butkus Paulauskas Urbonas Kavaliauskas Bērziņš Kalniņš Ozoliņš Jansons " +
  "Ozols Liepiņš Krūmiņš Tamm Saar Sepp Mägi Kask Kukk Rebane Ilves Pärn Koppel O'Sullivan O'Brien Byrne O'Connor " +
  "O'Neill O'Reilly O'Doherty McLoughlin O'Carroll Connolly Daly O'Connell Dunne O'Farrell Maguire O'Callaghan " +
  "O'Donnell O'Mahony Healy O'Shea Kavanagh Power McGrath O'Leary McDonnell MacMahon Donnelly Regan Flanagan " +
  "Mullan Kenny Sheehan Whelan Cullen Keane Maher McKenna O'Keeffe Magee McNamara MacDermott Moloney O'Rourke " +
  "O'Dwyer Davies Griffiths Rees Howells Pritchard Llewellyn Bevan Parry Probert Gwynne Mackenzie MacLeod Fraser " +
  "Mackay Sinclair Munro Sutherland Paterson Murdoch Drummond Forbes Lindsay Macintyre Macrae Baird Dunbar " +
  "Erskine Galbraith Gilchrist Guthrie Hay Innes Irvine Lamont Leslie Menzies Napier Ogilvie Rutherford Stirling " +
  "Wemyss";

export const FIRST_NAME_LIST: readonly string[] = FIRST.split(' ');
export const SURNAME_LIST: readonly string[] = LAST.split(' ');
/** Lower case without diacritics: people type "Joao", "Jurgen" and "Celine" as often as the accented forms. */
export function foldName(lower: string): string {
  return lower.normalize('NFD').replace(/\p{M}/gu, '');
}

// Lookup sets hold each name lower-cased and also folded; the lists above (drawn from) stay as written.
function lookupSet(list: readonly string[]): ReadonlySet<string> {
  const set = new Set<string>();
  for (const n of list) { const l = n.toLowerCase(); set.add(l); set.add(foldName(l)); }
  return set;
}
export const FIRST_NAMES: ReadonlySet<string> = lookupSet(FIRST_NAME_LIST);
export const SURNAMES: ReadonlySet<string> = lookupSet(SURNAME_LIST);

/** Names that are also everyday capitalised words (sentence starts, places, months): they count only next to another name-like word. */
export const AMBIGUOUS_NAMES: ReadonlySet<string> = new Set((
  'will may june april august mark rose grant bill pat frank hope joy faith art don guy ray jack long young black white green ' +
  'brown king page rich hunter miles lane dean chase price bell wood hill stone field baker cook summer dawn eve lily ivy sky ' +
  'river love best little short house ball bond case cross day early fox golden good hall hart hood horn lamb moon noble ' +
  'park pope power rush sharp small snow strong wall ware west wise york english french paris jordan florence lincoln ' +
  'victoria georgia virginia israel china india austin dallas houston chelsea sydney brooklyn savannah carolina ' +
  'christian max martin thomas james henry paul simon charles lewis grace joy song long kim lee li le do ho bo na ' +
  'yang wang sun ma hu gu an wan mao fu jin kai rui lin hong ping lan hua ling ning tao jie jun ming hao yong gang ' +
  'hui peng xin yan yu chen bin chao lei wei fang mei jing yun xia zhen qing zhi hang ali sam ben tim jan per bo ' +
  'can he oh via rey roy villa costa silva vega mora cruz leon le gall da sena otto sultan nur noor luz de van der den von di du del la'
).split(' '));
