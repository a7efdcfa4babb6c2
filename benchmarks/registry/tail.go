package registry

// The long tail: most people do not carry one of the few dozen names at
// the head of a table, but one of thousands. The tail is built from a
// given word and a second word, each with its spellings, so a union holds
// namesakes at the head and rare names beside them.

var maleFirst = []spellings{
	{[]string{"আব্দুল মান্নান"}, []string{"Abdul Mannan", "Abdul Mannan"}},
	{[]string{"আব্দুল মতিন"}, []string{"Abdul Matin", "Abdul Motin"}},
	{[]string{"আব্দুল কাদের"}, []string{"Abdul Kader", "Abdul Quader"}},
	{[]string{"আব্দুল বারেক"}, []string{"Abdul Barek", "Abdul Barik"}},
	{[]string{"আব্দুল গফুর"}, []string{"Abdul Gafur", "Abdul Gofur"}},
	{[]string{"আব্দুল হামিদ"}, []string{"Abdul Hamid", "Abdul Hamid"}},
	{[]string{"আব্দুর রশিদ"}, []string{"Abdur Rashid", "Abdur Rosid"}},
	{[]string{"আব্দুর রাজ্জাক"}, []string{"Abdur Razzak", "Abdur Razzaque"}},
	{[]string{"আব্দুল ওহাব"}, []string{"Abdul Wahab", "Abdul Ohab"}},
	{[]string{"আব্দুল কুদ্দুস"}, []string{"Abdul Kuddus", "Abdul Quddus"}},
	{[]string{"মোশারফ"}, []string{"Mosharaf", "Mosharrof"}},
	{[]string{"মাহবুব"}, []string{"Mahbub", "Mahbub"}},
	{[]string{"কামাল"}, []string{"Kamal", "Kamal"}},
	{[]string{"জামাল"}, []string{"Jamal", "Zamal"}},
	{[]string{"মোতালেব"}, []string{"Motaleb", "Mutalib"}},
	{[]string{"আক্কাস"}, []string{"Akkas", "Akkas"}},
	{[]string{"ইদ্রিস"}, []string{"Idris", "Edris"}},
	{[]string{"ইব্রাহিম"}, []string{"Ibrahim", "Ebrahim"}},
	{[]string{"ইসমাইল"}, []string{"Ismail", "Esmail"}},
	{[]string{"হারুন"}, []string{"Harun", "Haroon"}},
	{[]string{"আজহার"}, []string{"Azhar", "Ajhar"}},
	{[]string{"বেলাল"}, []string{"Belal", "Bilal"}},
	{[]string{"মোকছেদ"}, []string{"Moksed", "Mokchhed"}},
	{[]string{"নজরুল"}, []string{"Nazrul", "Nojrul"}},
	{[]string{"মতিউর"}, []string{"Motiur", "Matiur"}},
	{[]string{"আতাউর"}, []string{"Ataur", "Ataur"}},
	{[]string{"ফজলুর"}, []string{"Fazlur", "Fozlur"}},
	{[]string{"লুৎফর"}, []string{"Lutfor", "Lutfar"}},
	{[]string{"হাফিজুর"}, []string{"Hafizur", "Hafijur"}},
	{[]string{"মোখলেস"}, []string{"Mokhles", "Mukhles"}},
	{[]string{"সিরাজুল"}, []string{"Sirajul", "Shirajul"}},
	{[]string{"তোফাজ্জল"}, []string{"Tofazzal", "Tofajjal"}},
	{[]string{"রমজান"}, []string{"Ramjan", "Romzan"}},
	{[]string{"ওসমান"}, []string{"Osman", "Usman"}},
	{[]string{"শাহজাহান"}, []string{"Shahjahan", "Shajahan"}},
	{[]string{"মনসুর"}, []string{"Monsur", "Mansur"}},
	{[]string{"আশরাফ"}, []string{"Ashraf", "Asraf"}},
	{[]string{"গিয়াস"}, []string{"Gias", "Giash"}},
	{[]string{"বশির"}, []string{"Bashir", "Boshir"}},
	{[]string{"এমদাদুল"}, []string{"Emdadul", "Imdadul"}},
}

var maleSecond = []spellings{
	{[]string{"ইসলাম"}, []string{"Islam"}}, {[]string{"রহমান"}, []string{"Rahman", "Rohman"}},
	{[]string{"হোসেন", "হোসাইন"}, []string{"Hossain", "Hossen", "Hosen"}}, {[]string{"উদ্দিন", "উদ্দীন"}, []string{"Uddin", "Uddin"}},
	{[]string{"আলী"}, []string{"Ali", "Aly"}}, {[]string{"আলম"}, []string{"Alam", "Alom"}},
	{[]string{"আহমেদ", "আহম্মেদ"}, []string{"Ahmed", "Ahmad"}}, {[]string{"হক"}, []string{"Haque", "Hoque", "Hoq"}},
	{[]string{"মিয়া"}, []string{"Mia", "Miah"}}, {[]string{"কবির"}, []string{"Kabir", "Kobir"}},
	{[]string{"শেখ"}, []string{"Sheikh"}}, {[]string{"সরদার"}, []string{"Sardar", "Sordar"}},
	{[]string{"প্রামানিক"}, []string{"Pramanik"}}, {[]string{"বেপারী"}, []string{"Bepari", "Bapari"}},
	{[]string{"খান"}, []string{"Khan"}},
}

var femaleFirst = []spellings{
	{[]string{"আলেয়া"}, []string{"Aleya", "Alea"}}, {[]string{"আয়েশা"}, []string{"Ayesha", "Aysha"}},
	{[]string{"আসমা"}, []string{"Asma", "Asma"}}, {[]string{"বিলকিছ"}, []string{"Bilkis", "Bilkich"}},
	{[]string{"দিলরুবা"}, []string{"Dilruba", "Dilroba"}}, {[]string{"ফেরদৌসী"}, []string{"Ferdousi", "Ferdousy"}},
	{[]string{"গোলাপী"}, []string{"Golapi", "Golapy"}}, {[]string{"হাজেরা"}, []string{"Hajera", "Hazera"}},
	{[]string{"জাহেদা"}, []string{"Jaheda", "Zaheda"}}, {[]string{"জরিনা"}, []string{"Jorina", "Zarina"}},
	{[]string{"কোহিনুর"}, []string{"Kohinur", "Kohinoor"}}, {[]string{"লাইলী"}, []string{"Laili", "Laily"}},
	{[]string{"মাজেদা"}, []string{"Majeda", "Mazeda"}}, {[]string{"মমতাজ"}, []string{"Momtaz", "Mumtaz"}},
	{[]string{"নূরজাহান"}, []string{"Nurjahan", "Noorjahan"}}, {[]string{"পারুল"}, []string{"Parul", "Parul"}},
	{[]string{"রাজিয়া"}, []string{"Razia", "Rajia"}}, {[]string{"রুবিনা"}, []string{"Rubina", "Rubina"}},
	{[]string{"সাহেরা"}, []string{"Sahera", "Shahera"}}, {[]string{"শাহনাজ"}, []string{"Shahnaz", "Sahnaj"}},
	{[]string{"শামীমা"}, []string{"Shamima", "Samima"}}, {[]string{"সুরাইয়া"}, []string{"Suraiya", "Suraya"}},
	{[]string{"তাহমিনা"}, []string{"Tahmina", "Tahmina"}}, {[]string{"জেসমিন"}, []string{"Jesmin", "Jasmine"}},
	{[]string{"মনিরা"}, []string{"Monira", "Munira"}}, {[]string{"নাছিমা"}, []string{"Nasima", "Nachima"}},
	{[]string{"রোজিনা"}, []string{"Rozina", "Rojina"}}, {[]string{"শাহিদা"}, []string{"Shahida", "Sahida"}},
	{[]string{"মাসুদা"}, []string{"Masuda", "Masuda"}}, {[]string{"ফরিদা"}, []string{"Farida", "Forida"}},
	{[]string{"হেলেনা"}, []string{"Helena", "Helena"}}, {[]string{"খুরশিদা"}, []string{"Khurshida", "Khurshida"}},
	{[]string{"সেলিনা"}, []string{"Selina", "Salina"}}, {[]string{"মুর্শিদা"}, []string{"Murshida", "Murshida"}},
	{[]string{"আঞ্জুমান"}, []string{"Anjuman", "Anjuman"}}, {[]string{"ছামিনা"}, []string{"Samina", "Chamina"}},
}

var femaleSecond = []spellings{
	{[]string{"বেগম"}, []string{"Begum", "Begom"}}, {[]string{"খাতুন"}, []string{"Khatun", "Khatoon"}},
	{[]string{"আক্তার", "আখতার"}, []string{"Akter", "Akhter", "Aktar"}}, {[]string{"বিবি"}, []string{"Bibi"}},
	{[]string{"নেছা", "নেসা"}, []string{"Nesa", "Nessa"}}, {[]string{"পারভীন"}, []string{"Parvin", "Parveen"}},
}

// tail composes the long tail of a name table.
func tail(first, second []spellings) []nameEntry {
	var out []nameEntry
	for _, f := range first {
		for _, s := range second {
			e := nameEntry{}
			for _, b := range f.bn {
				for _, b2 := range s.bn {
					e.bn = append(e.bn, b+" "+b2)
				}
			}
			for _, l := range f.en {
				for _, l2 := range s.en {
					e.en = append(e.en, l+" "+l2)
				}
			}
			out = append(out, e)
		}
	}
	return out
}
