package synth

import "strings"

// The name tables are written for this package. Each row is the Bangla form
// followed by its common English spellings, most frequent first, separated by
// "|"; rows are separated by ";". A space inside an English spelling is a
// real split form seen in registries ("Nur Jahan" beside "Nurjahan").

// muslimMale are men's given names. Names ending in -ul/-ur take a family
// token after them in real use ("Rafiqul Islam").
const muslimMale = `রফিকুল|Rafiqul|Rofiqul|Rafikul;আব্দুল|Abdul|Abdool|Abdul;করিম|Karim|Korim|Kareem;রহিম|Rahim|Rohim|Raheem;জামাল|Jamal|Jamaal;কামাল|Kamal|Kamaal;` +
	`আবুল|Abul|Abool;কালাম|Kalam|Kalaam;আমিনুল|Aminul|Aminool;মাহবুবুর|Mahbubur|Mahabubur|Mahbubor;মিজানুর|Mizanur|Mijanur|Mizanor;শফিকুল|Shafiqul|Shofiqul|Safikul;` +
	`নজরুল|Nazrul|Nozrul|Najrul;সাইফুল|Saiful|Shaiful|Saifool;হাবিবুর|Habibur|Habibor;আনোয়ার|Anwar|Anowar|Anoar;জাহাঙ্গীর|Jahangir|Jahangeer;আলমগীর|Alamgir|Alomgir|Alamgeer;` +
	`মোস্তফা|Mostafa|Mustafa|Mostofa;মনিরুজ্জামান|Moniruzzaman|Maniruzzaman;আসাদুজ্জামান|Asaduzzaman|Asaduzaman;শাহজাহান|Shahjahan|Shahjahan|Sahjahan;আবু বকর|Abu Bakar|Abu Bakkar|Abubakar;` +
	`ইউসুফ|Yusuf|Iusuf|Yousuf;ইব্রাহিম|Ibrahim|Ebrahim;ইসমাইল|Ismail|Esmail;ইদ্রিস|Idris|Edris;ইলিয়াস|Ilias|Elias|Iliyas;ইউনুস|Yunus|Younus|Iunus;` +
	`মোজাম্মেল|Mozammel|Mojammel|Muzammel;মোতালেব|Motaleb|Mutaleb;মোখলেছুর|Mokhlesur|Mukhlesur;লুৎফর|Lutfar|Lutfor;আজিজুল|Azizul|Ajijul;আজিজ|Aziz|Ajij;` +
	`আলী|Ali|Alee;হোসেন|Hossain|Hosen|Hussain;হাসান|Hasan|Hassan;হারুন|Harun|Haroon;রশিদ|Rashid|Roshid|Rasheed;মজিবুর|Mojibur|Mujibur|Majibur;` +
	`জসিম|Jasim|Josim|Jashim;নাসির|Nasir|Nashir;বাবুল|Babul|Babool;দেলোয়ার|Delowar|Delwar|Dilwar;আনিসুর|Anisur|Anisor;আতাউর|Ataur|Ataour;` +
	`জহিরুল|Zahirul|Jahirul|Johirul;ফারুক|Faruk|Farooq|Faruque;সিরাজুল|Sirajul|Serajul;গোলাম|Golam|Gulam;মোস্তাক|Mostak|Mushtaq|Mostaq;শহিদুল|Shahidul|Shohidul|Sahidul;` +
	`আকবর|Akbar|Akbor;আশরাফুল|Ashraful|Asraful;আবদুর রহমান|Abdur Rahman|Abdur Rohman|Abdurrahman;আব্দুল্লাহ|Abdullah|Abdulla;মোমিন|Momin|Mumin;বেলাল|Belal|Bilal;` +
	`তোফাজ্জল|Tofazzal|Tofajjal;নুরুল|Nurul|Noorul;নূর|Nur|Noor;ওসমান|Osman|Usman;আয়ুব|Ayub|Aiyub|Aiub;জয়নাল|Joynal|Zainal|Jainal;আবেদিন|Abedin|Abidin;` +
	`বাচ্চু|Bachchu|Bacchu;মান্নান|Mannan|Mannaan;খলিল|Khalil|Kholil;সোহরাব|Sohrab|Shohrab;রুহুল|Ruhul|Ruhool;আমিন|Amin|Ameen;মনসুর|Monsur|Mansur|Mansoor;` +
	`সেলিম|Selim|Salim;শামসুল|Shamsul|Samsul;হুমায়ুন|Humayun|Humaiun;ফজলুল|Fazlul|Fajlul;হক|Haque|Hoque|Huq;মতিউর|Motiur|Matiur;কাদের|Kader|Qader|Kadir;` +
	`আক্কাস|Akkas|Akkash;রমজান|Romjan|Ramzan|Ramjan;সুলতান|Sultan|Sultaan;লতিফ|Latif|Lotif;বারেক|Barek|Barik;জব্বার|Jabbar|Jobbar;সাত্তার|Sattar|Sottar;` +
	`ওয়াহাব|Wahab|Ohab;গফুর|Gafur|Gofur|Gafoor;মালেক|Malek|Malik;কুদ্দুস|Kuddus|Quddus;তাহের|Taher|Tahir;হাকিম|Hakim|Hakeem;শাহীন|Shahin|Shaheen|Sahin;` +
	`রুবেল|Rubel|Ruble;সোহেল|Sohel|Shohel;রাসেল|Rasel|Russel|Rassel;মাসুদ|Masud|Masood|Mashud;রেজাউল|Rezaul|Rejaul;রাজু|Raju|Rajoo;মামুন|Mamun|Mamoon;` +
	`ফয়সাল|Faisal|Foysal|Foisal;জাকির|Zakir|Jakir;তারেক|Tarek|Tareq|Tariq;শাহাদাত|Shahadat|Sahadat;ইমরান|Imran|Emran;আরিফ|Arif|Areef;সাকিব|Sakib|Shakib;` +
	`নাঈম|Naim|Nayeem|Naeem;হেলাল|Helal|Helaal;লিটন|Liton|Litan;মিলন|Milon|Milan;আলাউদ্দিন|Alauddin|Alaudin;নিজাম|Nizam|Nijam;তৈয়ব|Toyeb|Taiyab;` +
	`ইকবাল|Iqbal|Ikbal|Eqbal;এনামুল|Enamul|Inamul;খোরশেদ|Khorshed|Khurshid;মোশারফ|Mosharraf|Mosharof|Musharraf;আজহার|Azhar|Ajhar;বশির|Bashir|Boshir;` +
	`সামাদ|Samad|Shamad;সবুর|Sabur|Sobur;আফজাল|Afzal|Afjal;হাফিজ|Hafiz|Hafij;জিয়াউর|Ziaur|Jiaur;আমজাদ|Amjad|Amzad;নুরুজ্জামান|Nuruzzaman|Nurujjaman;` +
	`মফিজ|Mofiz|Mafiz|Mofij;ছিদ্দিক|Siddique|Siddik|Chhiddik;আবু তাহের|Abu Taher|Abutaher;আজাদ|Azad|Ajad;বাদশা|Badsha|Badshah;দুলাল|Dulal|Dulaal`

// muslimFemale are women's given names.
const muslimFemale = `রোকেয়া|Rokeya|Rokeia|Rokaya;শাহিদা|Shahida|Sahida;রহিমা|Rahima|Rohima;ফাতেমা|Fatema|Fatima|Fateema;আমেনা|Amena|Amina;হালিমা|Halima|Haleema;` +
	`জাহানারা|Jahanara|Jahan Ara;নূরজাহান|Nurjahan|Nur Jahan|Noorjahan;সালমা|Salma|Shalma;রাবেয়া|Rabeya|Rabeia|Rabia;মরিয়ম|Moriom|Mariam|Maryam;আছিয়া|Asia|Achhia|Asiya;` +
	`খাদিজা|Khadija|Khodeja|Khadeja;আয়েশা|Ayesha|Aesha|Aysha;জোহরা|Johura|Zohra|Zohura;সুফিয়া|Sufia|Sufiya;মাজেদা|Majeda|Mazeda;হাজেরা|Hajera|Hazera;` +
	`রাশিদা|Rashida|Roshida;শামসুন|Shamsun|Samsun;কুলসুম|Kulsum|Kulsoom;লাইলী|Laily|Laili|Lily;মমতাজ|Momtaz|Mumtaz|Momtaj;পারভীন|Parvin|Parveen|Porvin;` +
	`শাহনাজ|Shahnaz|Sahnaz;নাসরিন|Nasrin|Nasreen;রেহানা|Rehana|Rihana;রুবিনা|Rubina|Rubeena;শিরিন|Shirin|Sirin|Shireen;সেলিনা|Selina|Salina;` +
	`তাহমিনা|Tahmina|Tohmina;ইয়াসমিন|Yasmin|Jasmin|Iasmin;মাহমুদা|Mahmuda|Mahmooda;মনোয়ারা|Monowara|Manwara|Monoara;আনোয়ারা|Anowara|Anwara|Anoara;` +
	`জরিনা|Jorina|Zarina;হাসিনা|Hasina|Haseena;মর্জিনা|Morjina|Marjina;সখিনা|Sokhina|Sakhina;আলেয়া|Aleya|Alia;ছালেহা|Saleha|Chhaleha;` +
	`মাহফুজা|Mahfuza|Mahfuja;ফিরোজা|Firoza|Firoja;নাজমা|Nazma|Najma;জেসমিন|Jesmin|Jasmine;শিউলি|Shiuli|Sheuli;রুমা|Ruma|Rooma;` +
	`মুন্নী|Munni|Munny;শাপলা|Shapla|Sapla;সুমি|Sumi|Shumi;রিনা|Rina|Reena;বিলকিস|Bilkis|Bilkees;নাছিমা|Nasima|Nachhima;` +
	`সাজেদা|Sajeda|Sazeda;হোসনেয়ারা|Hosneara|Husneara;কোহিনূর|Kohinur|Kohinoor;মালেকা|Maleka|Malika;জামিলা|Jamila|Zamila;আকলিমা|Aklima|Aklimah;` +
	`তাসলিমা|Taslima|Toslima;সুলতানা|Sultana|Sultanah;শাহানারা|Shahanara|Sahanara;ফরিদা|Farida|Forida;হামিদা|Hamida|Homida;জাকিয়া|Zakia|Jakia|Zakiya;` +
	`লাকী|Lucky|Laki;পপি|Popy|Poppy;মুক্তা|Mukta|Mookta;মাসুমা|Masuma|Mashuma;নাজনীন|Naznin|Najnin;ফজিলাতুন|Fazilatun|Fojilatun;কামরুন|Kamrun|Kamroon;` +
	`মেহেরুন|Meherun|Meheroon;সাবিনা|Sabina|Shabina;আঞ্জুমান|Anjuman|Anzuman;বানু|Banu|Banoo;জুলেখা|Julekha|Zulekha;গুলশান|Gulshan|Gulsan;আম্বিয়া|Ambia|Ambiya`

// hinduMale are Hindu men's given names; a middle name follows often.
const hinduMale = `গোপাল|Gopal|Gopaal;নিতাই|Nitai|Netai;সুভাষ|Subhash|Shubhash|Subhas;রতন|Ratan|Roton;প্রদীপ|Pradip|Prodip|Pradeep;দিলীপ|Dilip|Dileep;` +
	`অনিল|Anil|Onil;সুনীল|Sunil|Shunil;নারায়ণ|Narayan|Narayon;হরিপদ|Haripada|Horipodo;কৃষ্ণ|Krishna|Krisna|Kristo;বিমল|Bimal|Bimol;` +
	`নির্মল|Nirmal|Nirmol;শ্যামল|Shyamal|Shamol|Shyamol;তপন|Tapan|Topon;স্বপন|Swapan|Shopon|Sapan;উত্তম|Uttam|Uttom;অশোক|Ashok|Asok|Ashoke;` +
	`বিপ্লব|Biplab|Biplob;মানিক|Manik|Manick;সঞ্জয়|Sanjoy|Sanjay|Shonjoy;পরিমল|Parimal|Porimol;জগদীশ|Jagadish|Jogodish;মধুসূদন|Madhusudan|Modhusudon;` +
	`রবীন্দ্র|Rabindra|Robindro;হরেন্দ্র|Harendra|Horendro;সুধীর|Sudhir|Sudheer;বাসুদেব|Basudeb|Basudev;অমল|Amal|Omol;কার্তিক|Kartik|Kartick;` +
	`গৌতম|Gautam|Goutam|Gautom;বিকাশ|Bikash|Bikas;নিখিল|Nikhil|Nikhil;শংকর|Shankar|Shonkor|Sankar;পরেশ|Paresh|Poresh;মনোরঞ্জন|Manoranjan|Monoronjon;` +
	`হরিদাস|Haridas|Horidas;জীবন|Jiban|Jibon;বলরাম|Balaram|Bolaram;দুলাল|Dulal|Dulaal`

// hinduFemale are Hindu women's given names; Rani or Bala follows often.
const hinduFemale = `শেফালী|Shefali|Sefali|Shefaly;অঞ্জলি|Anjali|Onjoli|Anjoli;কল্পনা|Kalpana|Kolpona;সন্ধ্যা|Sandhya|Shondha|Sondhya;গীতা|Gita|Geeta;মিনতি|Minati|Minoti;` +
	`পার্বতী|Parbati|Parboti;লক্ষ্মী|Lakshmi|Laxmi|Lokkhi;সরস্বতী|Saraswati|Shoroshoti;দুর্গা|Durga|Durgah;কমলা|Kamala|Komola;বাসন্তী|Basanti|Bashonti;` +
	`শান্তি|Shanti|Santi;মায়া|Maya|Maaya;রিতা|Rita|Reeta;সুমিত্রা|Sumitra|Shumitra;অনিতা|Anita|Onita;সবিতা|Sabita|Shobita;` +
	`যমুনা|Jamuna|Jomuna;ভারতী|Bharati|Bharoti;প্রতিমা|Pratima|Protima;নমিতা|Namita|Nomita;চম্পা|Champa|Chompa;ঝর্ণা|Jharna|Jhorna;` +
	`সুচিত্রা|Suchitra|Shuchitra;মঞ্জু|Manju|Monju;আরতি|Arati|Aroti;সুষমা|Sushama|Shushoma;পুতুল|Putul|Putool;বীণা|Bina|Beena;` +
	`উষা|Usha|Ushaa;জ্যোৎস্না|Jyotsna|Josna|Jyotsana;মালতী|Malati|Maloti;তুলসী|Tulsi|Tulshi`

// otherMale and otherFemale are Buddhist and Christian given names.
const otherMale = `সুমন|Suman|Shumon;অমিত|Amit|Omit;জ্যোতি|Jyoti|Joti;প্রিয়|Priya|Prio;ডমিনিক|Dominic|Dominik;পিটার|Peter|Pitar;যোসেফ|Joseph|Josef;পল|Paul|Pal;` +
	`জন|John|Jon;থোয়াই|Thoai|Thowai;মং|Mong|Maung;উচিং|Uching|Uchhing`

const otherFemale = `মেরী|Mary|Meri;রোজী|Rosy|Rozi;মার্থা|Martha|Marta;ক্যাথরিন|Catherine|Kathrin;সুচিতা|Suchita|Shuchita;মিতালী|Mitali|Mitaly;` +
	`ম্রা|Mra|Mraa;উ প্রু|U Pru|Upru;নিভা|Niva|Nibha`

// hinduMiddleMale and hinduMiddleFemale are the second tokens of Hindu names.
const hinduMiddleMale = `চন্দ্র|Chandra|Chondro|Chandro;কুমার|Kumar|Kumer;রঞ্জন|Ranjan|Ronjon;কান্তি|Kanti|Kanti;লাল|Lal|Laal;প্রসাদ|Prasad|Proshad`

const hinduMiddleFemale = `রানী|Rani|Ranee;বালা|Bala|Bala;প্রভা|Prabha|Provha;দাসী|Dasi|Dashi`

// muslimFamily are lineage and family tokens of Muslim names, with a weight
// (rough frequency) after the spellings.
const muslimFamily = `ইসলাম|Islam|Eslam#30;রহমান|Rahman|Rohman|Rahaman#28;হোসেন|Hossain|Hossen|Hussain|Hosen#26;আহমেদ|Ahmed|Ahmad|Ahammed#18;উদ্দিন|Uddin|Uddeen|Udin#18;` +
	`হক|Haque|Hoque|Huq#14;আলম|Alam|Alom#14;আলী|Ali|Alee#12;খান|Khan|Khaan#10;শেখ|Sheikh|Shaikh|Sk.|Shekh#9;চৌধুরী|Chowdhury|Choudhury|Chy.#6;` +
	`মোল্লা|Mollah|Molla|Mulla#7;মিয়া|Miah|Mia|Mian#10;সরকার|Sarkar|Sarker|Shorkar#6;তালুকদার|Talukder|Talukdar#4;ভূঁইয়া|Bhuiyan|Bhuiya|Bhuyan#4;` +
	`মন্ডল|Mondal|Mandal|Mondol#5;হাওলাদার|Howlader|Hawlader#3;সিকদার|Sikder|Shikder#3;খন্দকার|Khandaker|Khondokar#3;কাজী|Kazi|Qazi#2;` +
	`পাটোয়ারী|Patwary|Patwari#2;মজুমদার|Majumder|Mazumder#2;প্রামানিক|Pramanik|Paramanik#3;আকন্দ|Akand|Akondo#2;সরদার|Sardar|Sarder|Shordar#3;বেপারী|Bepari|Beparee#2`

// hinduFamily are Hindu family names.
const hinduFamily = `দাস|Das|Dash#30;রায়|Roy|Ray|Rai#22;সাহা|Saha|Shaha#14;পাল|Paul|Pal#10;ঘোষ|Ghosh|Ghose#9;দে|Dey|De#7;সরকার|Sarkar|Sarker#8;` +
	`চক্রবর্তী|Chakraborty|Chakrabarty|Chakroborty#5;বিশ্বাস|Biswas|Bishwas#8;মন্ডল|Mondal|Mandal#8;সেন|Sen|Shen#4;দত্ত|Dutta|Datta#4;ভৌমিক|Bhowmik|Bhowmick#3;` +
	`বর্মন|Barman|Burman|Borman#6;শীল|Shil|Sil|Sheel#3;কর্মকার|Karmakar|Kormokar#3;নাথ|Nath|Nath#4;দেবনাথ|Debnath|Deb Nath#4;সূত্রধর|Sutradhar|Sutradhor#2;বসু|Basu|Bose#2`

// buddhistFamily and christianFamily are the family names of the two
// smaller communities.
const buddhistFamily = `বড়ুয়া|Barua|Baruya#10;চাকমা|Chakma|Chakmaa#8;মারমা|Marma|Marmaa#5;ত্রিপুরা|Tripura|Tripra#3`

const christianFamily = `গমেজ|Gomes|Gomez#8;রোজারিও|Rozario|Rosario#7;ডি'কস্তা|D'Costa|DCosta|D Costa#5;বাড়ৈ|Baroi|Baroy#5;হালদার|Halder|Haldar#4;বিশ্বাস|Biswas|Bishwas#4`

// femaleMarkers close Muslim women's names.
const femaleMarkers = `বেগম|Begum|Begom#40;খাতুন|Khatun|Khatoon|Khaton#30;আক্তার|Akter|Akhter|Aktar#35;নেসা|Nesa|Nessa|Nesha#8;বিবি|Bibi|Bibee#6`

// honorific is a title written before a name, in both scripts, with its
// alternative spellings.
type honorific struct {
	bn []string
	en []string
}

// honorifics of the four kinds a registry shows: Muslim men, Muslim women,
// Hindu men, Hindu women; late is written before a dead father's or
// husband's name.
type honorifics struct {
	md, mst, sree, srimoti, late honorific
}

func newHonorifics() honorifics {
	return honorifics{
		md:      honorific{bn: []string{"মোঃ", "মো:", "মোহাম্মদ", "মুহাম্মদ"}, en: []string{"Md.", "Md", "Mohammad", "Mohammed", "Muhammad", "Mohd."}},
		mst:     honorific{bn: []string{"মোছাঃ", "মোসাঃ", "মোছা:", "মোসাম্মৎ"}, en: []string{"Mst.", "Mst", "Most.", "Mosammat", "Mossammat"}},
		sree:    honorific{bn: []string{"শ্রী", "শ্রীঃ"}, en: []string{"Sree", "Sri", "Shri"}},
		srimoti: honorific{bn: []string{"শ্রীমতি", "শ্রীমতী"}, en: []string{"Srimoti", "Srimati", "Smt."}},
		late:    honorific{bn: []string{"মৃত", "মরহুম"}, en: []string{"Late", "Lt.", "Marhum"}},
	}
}

// token is one name part: its Bangla form and English spellings, most
// frequent first.
type token struct {
	bn string
	en []string
}

type weighted struct {
	toks []token
	cum  []int
}

func parseTokens(table string) []token {
	rows := strings.Split(table, ";")
	out := make([]token, 0, len(rows))
	for _, r := range rows {
		if r, _, _ = strings.Cut(r, "#"); r == "" {
			continue
		}
		f := strings.Split(r, "|")
		out = append(out, token{bn: f[0], en: f[1:]})
	}
	return out
}

func parseWeighted(table string) weighted {
	var w weighted
	total := 0
	for _, r := range strings.Split(table, ";") {
		r, wt, _ := strings.Cut(r, "#")
		f := strings.Split(r, "|")
		w.toks = append(w.toks, token{bn: f[0], en: f[1:]})
		total += atoi(wt)
		w.cum = append(w.cum, total)
	}
	return w
}

// nameTables holds every name table parsed, one copy per Generator.
type nameTables struct {
	muslimMale, muslimFemale, hinduMale, hinduFemale, otherMale, otherFemale []token
	hinduMidMale, hinduMidFemale                                             []token
	muslimFamily, hinduFamily, buddhistFamily, christianFamily, femaleMarker weighted
	hon                                                                      honorifics
}

func parseNames() nameTables {
	return nameTables{
		muslimMale: parseTokens(muslimMale), muslimFemale: parseTokens(muslimFemale),
		hinduMale: parseTokens(hinduMale), hinduFemale: parseTokens(hinduFemale),
		otherMale: parseTokens(otherMale), otherFemale: parseTokens(otherFemale),
		hinduMidMale: parseTokens(hinduMiddleMale), hinduMidFemale: parseTokens(hinduMiddleFemale),
		muslimFamily: parseWeighted(muslimFamily), hinduFamily: parseWeighted(hinduFamily),
		buddhistFamily: parseWeighted(buddhistFamily), christianFamily: parseWeighted(christianFamily),
		femaleMarker: parseWeighted(femaleMarkers),
		hon:          newHonorifics(),
	}
}
